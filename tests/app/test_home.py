"""Home page: the ReLU table is computed (not typed) and every mission page is linked."""

from __future__ import annotations

import re

from tests.app.conftest import ROOT, chart_data, open_page


def test_home_shows_table_plot_and_links():
    at = open_page("home")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["input x"]) == [-5.0, -2.0, 0.0, 3.0, 6.0]
    assert list(table["ReLU(x)"]) == [0.0, 0.0, 0.0, 3.0, 6.0]
    charts = chart_data(at)
    assert charts and charts[0]
    # Every page of the navigation (app.py's list, read here from the file) but home has its link.
    links = {el.proto.page: el.proto.label for el in at.get("page_link")}
    pages = re.findall(r'st\.Page\("pages/(\w+)\.py", title="([^"]+)"', (ROOT / "app.py").read_text())
    assert {"activations", "trainer", "dead_neurons"} <= {name for name, _ in pages}  # the three missions
    assert links == {name: f"**{title}**" for name, title in pages if name != "home"}
