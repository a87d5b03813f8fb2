"""The ECS Instances table fits a 1280 px screen and stays whole at 1024 px: every header and
cell inside the visible box, nothing cut off, no sideways scrolling to read the Docker version."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Every cell of the table that is not inside the visible part of its box, or whose content is
# wider than the cell shows.
OUTSIDE_OR_CUT = """table => {
  const scroller = table.closest('.table-scroll');
  const box = scroller.getBoundingClientRect();
  const right = Math.min(box.right, document.documentElement.clientWidth);
  const problems = [];
  if (scroller.scrollWidth > scroller.clientWidth) {
    problems.push(`the table scrolls: ${scroller.scrollWidth} > ${scroller.clientWidth}`);
  }
  for (const cell of table.querySelectorAll('th, td')) {
    const r = cell.getBoundingClientRect();
    if (r.left < box.left - 0.5 || r.right > right + 0.5) {
      problems.push(`${cell.innerText} at ${r.left}-${r.right}, visible ${box.left}-${right}`);
    }
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push(`${cell.innerText} cut: ${cell.scrollWidth} > ${cell.clientWidth}`);
    }
  }
  return problems;
}"""

# How many lines a cell's text takes.
LINES = """cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
}"""


@pytest.mark.parametrize("width", [1280, 1024])
def test_every_header_and_cell_of_the_ecs_instances_table_is_in_view(
    signed_in_page, live_server, registered_hosts, screenshot, width
):
    page = signed_in_page
    registered_hosts("layout-cluster", 2)
    page.set_viewport_size({"width": width, "height": 800})

    page.goto(f"{live_server.url}/clusters/layout-cluster/ecs-instances/")

    table = page.locator("#container-instances")
    expect(table.locator("tbody tr")).to_have_count(2)
    docker = table.locator("tbody tr td:nth-child(10)").first
    expect(docker).to_have_text("Docker version 25.0.16")
    screenshot(f"ecs-instances-{width}")
    assert table.evaluate(OUTSIDE_OR_CUT) == []
    if width == 1280:
        # At the console's own width the ids read on one line.
        for column in (1, 2):
            cell = table.locator(f"tbody tr td:nth-child({column})").first
            assert cell.evaluate(LINES) == 1, cell.inner_text()
