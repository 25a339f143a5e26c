"""Home page: the ReLU table is computed (not typed) and every mission page is linked."""

from __future__ import annotations

from tests.app.conftest import chart_data, open_page


def test_home_shows_table_plot_and_links():
    at = open_page("home")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["input x"]) == [-5.0, -2.0, 0.0, 3.0, 6.0]
    assert list(table["ReLU(x)"]) == [0.0, 0.0, 0.0, 3.0, 6.0]
    charts = chart_data(at)
    assert charts and charts[0]
    links = [el.proto.page for el in at.get("page_link")]
    assert any("activations" in link for link in links)
