"""The decision boundary of the finale (exercise 21) as text: the learner's model beside a correct one.

`data` is what test_ex21_train_classifier records as the property "boundary": two grids of predicted
classes over the same box (one string of "0" and "1" per row, the top row first), the box
[x0, x1, y0, y1], the training points [x, y, label] and both accuracies on new moons. A boundary
drawn straight across the moons is a model without a nonlinearity; a picture of one class only is
a model that learned nothing.
"""

from __future__ import annotations

GAP = "   "


def draw_boundary(data: dict, unicode: bool) -> list[str]:
    """The two pictures side by side, with a title over each and a legend below, as lines of text."""
    cols, rows = data["cols"], data["rows"]
    x0, x1, y0, y1 = data["box"]
    area = {"0": "·" if unicode else ".", "1": " "}
    mark = {0: "●" if unicode else "o", 1: "○" if unicode else "x"}
    frame = ("│", "─", "┌", "┐", "└", "┘") if unicode else ("|", "-", "+", "+", "+", "+")
    pictures = []
    for grid in (data["yours"], data["correct"]):
        cells = [[area[c] for c in row] for row in grid]
        for x, y, label in data["points"]:
            col = min(cols - 1, max(0, int((x - x0) / (x1 - x0) * cols)))
            row = min(rows - 1, max(0, int((y1 - y) / (y1 - y0) * rows)))
            cells[row][col] = mark[label]
        side, top, tl, tr, bl, br = frame
        pictures.append([tl + top * cols + tr, *(side + "".join(r) + side for r in cells), bl + top * cols + br])
    titles = [f"your model: {data['accuracy']:.1%} of new moons right",
              f"a correct boundary: {data['correct_accuracy']:.1%}"]
    width = cols + 2
    lines = [GAP.join(t[:width].ljust(width) for t in titles)]
    lines += [GAP.join(parts) for parts in zip(*pictures)]
    lines.append(f"{mark[0]} upper moon (class 0)   {mark[1]} lower moon (class 1)   "
                 f"{area['0']} where a model says class 0")
    return lines
