"""Administering prompt templates: the versioned store, validation, and previews on sample
requests. (Parsing and rendering one template is `comms.drafting.template`.)"""
