"""Step 5: the answer. The cited extractive answer composed from the retrieved evidence (compose) and the facts in a
sentence that a question asks for (facts)."""
