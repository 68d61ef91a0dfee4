"""The source documents: the shipped corpus, reading uploaded files, front matter, language, and
splitting a document into chunks. Nothing here touches the store or the database."""
