/* ECS Console's own behaviour on every page, beside htmx (loaded before this file, deferred).
 *
 * Polled and swapped regions use idiomorph's morph swap (hx-ext="morph" on <body>): a morph
 * keeps the nodes that stay, so the element a person is on keeps its focus and a live region
 * keeps announcing its changing text. */
"use strict";
