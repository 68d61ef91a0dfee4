"""Clarion message generation: a library the CLI, the tests and the app share."""
