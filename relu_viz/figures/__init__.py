"""Plotly figure builders: arrays in, ``go.Figure`` out. One module per page's subject.

Builders never compute the maths (the engine does) and never touch streamlit; pass numpy arrays, not
lists, because plotly encodes arrays compactly (about 3x smaller, 10x faster to serialise).
"""
