"""Writes, by subject. Each service is keyword-only, typed and transactional, and
refuses an illegal move with a clear error.

- templates: prompt templates and few-shot answers;
- summaries: a summary's lifecycle and its one write path (result, topics,
  general topics, search document);
- jobs: queueing, running, cancelling and sweeping generation jobs;
- ingestion: videos and their transcripts;
- curation: what curators do in the admin (promote, compare, token budgets).
"""
