"""Pretests: two to four versions of one message rated by real readers before a campaign."""
