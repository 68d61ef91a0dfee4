"""The checks a message must pass (lint), and the text tools they use: word lists, sentences,
numbers, readability, SMS segments, consistency across a campaign."""
