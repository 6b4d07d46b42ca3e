import inspect

import pytest

from cnnmath import conv, optim, train
from cnnmath.listing import listing


def test_the_listing_is_the_source_numbered_from_the_def_line():
    shown = listing(optim._adam)
    source = inspect.getsource(optim._adam).rstrip("\n").split("\n")
    body = repr(shown).split("\n")
    assert body[0] == "cnnmath/optim.py: _adam"
    assert body[1:] == [f"{i:3d}  {line}".rstrip() for i, line in enumerate(source, start=1)]


def test_notes_sit_on_the_one_line_that_holds_their_code():
    shown = listing(optim._adam, {"v *= beta2": "v ← β₂ v"})
    line = next(r for r in repr(shown).split("\n") if "◀" in r)
    assert "v *= beta2" in line and line.endswith("◀ v ← β₂ v")
    number = shown.noted_lines()["v ← β₂ v"]
    assert inspect.getsource(optim._adam).split("\n")[number - 1].strip() == "v *= beta2"
    assert "background:#fff3bf" in shown._repr_html_() and "v ← β₂ v" in shown._repr_html_()


def test_a_note_whose_code_is_missing_or_repeated_is_an_error():
    with pytest.raises(
        ValueError, match=r"'no such code' must occur on exactly one .* it occurs on 0"
    ):
        listing(optim._adam, {"no such code": "x"})
    with pytest.raises(ValueError, match=r"'w -=' must occur on exactly one .* it occurs on 2"):
        listing(optim._adam, {"w -=": "x"})


def test_docstring_left_out_is_said_and_the_numbers_stay():
    full, short = listing(conv.conv2d_backward), listing(conv.conv2d_backward, docstring=False)
    assert '"""' in repr(full) and '"""' not in repr(short)
    assert repr(short).split("\n")[0].endswith("(docstring left out)")
    last = repr(short).split("\n")[-1]
    assert last == repr(full).split("\n")[-1]  # the same line, the same number


def test_between_shows_a_loop_of_a_long_function_with_elisions():
    text = repr(listing(train.fit, between=("for e in range(", "optimizer.step(")))
    lines = text.split("\n")
    assert lines[1].startswith("  1  def fit(") and lines[2] == "   ⋮" and lines[-1] == "   ⋮"
    assert "for e in range(" in lines[3] and "optimizer.step(" in lines[-2]


def test_several_functions_and_bad_arguments():
    text = repr(listing([optim._sgd, optim._adagrad], {"acc += g * g": "G ← G + g²"}))
    assert "cnnmath/optim.py: _sgd" in text and "cnnmath/optim.py: _adagrad" in text
    with pytest.raises(TypeError, match="obj must be a function"):
        listing(3)
    with pytest.raises(ValueError, match="at least one"):
        listing([])
    with pytest.raises(ValueError, match="between= applies to a single function"):
        listing([optim._sgd, optim._adagrad], between=("a", "b"))
    with pytest.raises(ValueError, match="between\\[0\\] 'nowhere' does not occur"):
        listing(optim._sgd, between=("nowhere", "w"))
    with pytest.raises(TypeError, match="docstring must be True or False"):
        listing(optim._sgd, docstring="no")


def test_the_print_form_is_marked_latex_with_each_note_under_its_line():
    from cnnmath.printable import MARKER

    latex = listing(optim._adagrad, {"acc += g * g": "Gₜ = Gₜ₋₁ + gₜ²"})._repr_latex_()
    assert latex.startswith(MARKER + "\n") and "\\begin{verbatim}" in latex
    lines = latex.split("\n")
    i = next(k for k, line in enumerate(lines) if "acc += g * g" in line)
    assert lines[i + 1].strip() == "-> Gₜ = Gₜ₋₁ + gₜ²" and "◀" not in latex


def test_a_character_the_print_edition_cannot_set_is_refused_at_once():
    with pytest.raises(ValueError, match="cannot set: '☃'"):
        listing(optim._adagrad, {"acc += g * g": "snow ☃"})
