"""The only part of relu_viz that imports streamlit: shared widgets and session helpers for the pages."""
