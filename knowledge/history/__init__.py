"""The evidence over time: each source's versions and their differences, what stored messages and
map facts cite (pins, and the flags a changed passage raises), and the sources' review dates."""
