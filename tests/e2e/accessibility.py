"""Accessibility checks for browser tests: axe-core's WCAG 2.1 A/AA audit of the page a tab
shows, the contrast of two colours as WCAG measures it, and reaching a control by keyboard.

axe-core comes from npm (`package.json`, installed by `npm ci`, which `make test` runs) and is
injected into the page with Playwright, so pages never ship it.
"""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Violations a person meets as a barrier; axe's "minor" and "moderate" are left to review.
BLOCKING_IMPACTS = {"serious", "critical"}
# More presses of Tab than any page of the console has controls before the one wanted.
MOST_TABS = 60

RUN_AXE = """tags => axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
}).then(results => results.violations)"""


def axe_violations(page):
    """Every WCAG 2.1 A/AA violation axe-core finds in the page as it is now."""
    if not AXE_SCRIPT.is_file():
        raise RuntimeError(f"{AXE_SCRIPT} is missing: run `npm ci` (make test does).")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=AXE_SCRIPT)
    return page.evaluate(RUN_AXE, WCAG_21_AA_TAGS)


def describe(state_name, violations):
    lines = [f"{state_name}: {len(violations)} serious or critical WCAG 2.1 AA violation(s)"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(node['target'])}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page, state_name):
    """Fail with each serious or critical violation, its rule, help and nodes, if the page
    the tab shows has any."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, describe(state_name, blocking)


def _relative_luminance(css_colour):
    red, green, blue = (
        int(channel) / 255 for channel in re.findall(r"[\d.]+", css_colour)[:3]
    )

    def linear(channel):
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast_ratio(css_colour, other_css_colour):
    """WCAG 2.1's contrast ratio of two opaque CSS colours as Chromium computes them
    ("rgb(35, 47, 62)")."""
    lighter, darker = sorted(
        (_relative_luminance(css_colour), _relative_luminance(other_css_colour)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


BACKGROUND_BEHIND = """element => {
    for (let node = element; node; node = node.parentElement) {
        const colour = getComputedStyle(node).backgroundColor;
        if (colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") return colour;
    }
    return "rgb(255, 255, 255)";
}"""


def background_behind(locator, outside=False):
    """The colour painted behind an element (behind its parent, when outside: what a focus
    ring drawn outside the element sits on)."""
    handle = locator.element_handle()
    if outside:
        handle = handle.evaluate_handle("element => element.parentElement")
    return handle.evaluate(BACKGROUND_BEHIND)


def tab_to(page, control):
    """Press Tab until the control has focus, as a keyboard user reaches it; fail if it never
    does."""
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        if control.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{MOST_TABS} presses of Tab never reached {control}")
