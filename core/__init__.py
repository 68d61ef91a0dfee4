"""Clarion's lowest layer: the settings, the errors a user can act on, the catalog of topics,
audiences, channels and languages, the one way to the database, and the clock. Every other
package imports it (knowledge, comms, the views, bench); it imports nothing else of Clarion's."""
