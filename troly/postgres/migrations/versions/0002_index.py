"""Index: generations, the current-generation pointer, documents, files, chunks, artefacts, vectors.

A generation's rows never change once written; a reader names its generation in every query, so it never
mixes two. Vectors are stored once per (embedder, sha256 of the float32 bytes) and shared by every
generation whose chunks use them, so an ingest inserts only new vectors into the HNSW graph instead of
rebuilding it. The HNSW index is made per dimension on first use (an expression index on
`embedding::vector(dim)` with `WHERE dim = ...`), as one column holds vectors of any embedder.

Revision ID: 0002_index
"""

from __future__ import annotations

from alembic import op

revision = "0002_index"
down_revision = "0001_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE index_generations (
            id BIGINT PRIMARY KEY,
            parent BIGINT,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            embedder_name TEXT,
            embedder_dim INTEGER,
            counts JSONB NOT NULL
        );
        CREATE TABLE index_current (
            singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
            generation BIGINT NOT NULL REFERENCES index_generations(id),
            published_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE index_documents (
            generation BIGINT NOT NULL REFERENCES index_generations(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            record JSONB NOT NULL,
            artefacts JSONB NOT NULL DEFAULT '{}',
            PRIMARY KEY (generation, position),
            UNIQUE (generation, doc_id)
        );
        CREATE TABLE index_files (
            generation BIGINT NOT NULL REFERENCES index_generations(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            source TEXT NOT NULL,
            record JSONB NOT NULL,
            PRIMARY KEY (generation, position)
        );
        CREATE TABLE index_artefacts (
            generation BIGINT NOT NULL REFERENCES index_generations(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            body BYTEA NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (generation, name)
        );
        CREATE TABLE index_vectors (
            id BIGSERIAL PRIMARY KEY,
            embedder TEXT NOT NULL,
            dim INTEGER NOT NULL,
            digest BYTEA NOT NULL,
            embedding vector NOT NULL,
            UNIQUE (embedder, digest)
        );
        CREATE TABLE index_chunks (
            generation BIGINT NOT NULL REFERENCES index_generations(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            chunk_id TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            record JSONB NOT NULL,
            vector_id BIGINT REFERENCES index_vectors(id),
            PRIMARY KEY (generation, position),
            UNIQUE (generation, chunk_id)
        );
        CREATE INDEX index_chunks_by_vector ON index_chunks(vector_id, generation);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TABLE index_chunks, index_vectors, index_artefacts, index_files, index_documents, index_current,
            index_generations;
        """
    )
