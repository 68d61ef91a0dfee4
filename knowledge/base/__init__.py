"""Clarion's lowest layer: the settings, the errors a user can act on, and the catalog of topics,
audiences, channels and languages. Every other package imports it; it imports nothing else of
Clarion's. It sits at the bottom of `knowledge` because the top level is fixed (app.py, comms/,
knowledge/, prompts/, tests/) and `knowledge`, the evidence, is the lower of the two packages."""
