"""Step 4: reading the question. Limits and cleaning (limits), follow-ups made standalone (followup), English
questions mapped to corpus words (english), and the analysed Question with its form, unit, terms and entities
(question)."""
