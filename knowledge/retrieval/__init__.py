"""The index and the search over it: the embedder, the Chroma store with its lexical index, the
glossary that bridges German and English terms, and hybrid search."""
