"""The assessment as a JSON document, streamed in chunks."""
