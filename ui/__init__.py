"""Streamlit view helpers shared by app.py and the pages: cached resources and UI text."""
