"""The light Bootstrap field renderer (|bs_field) gives crispy's markup without its
templates: label and asterisk, the input's classes, errors and help."""

import pytest
from django import forms
from django.template import Context, Template
from django.test.html import parse_html

from apps.core.templatetags.dms import bs_field


class SampleForm(forms.Form):
    name = forms.CharField(label="客户姓名", max_length=5)
    kind = forms.ChoiceField(label="类别", choices=[("a", "甲"), ("b", "乙")])
    note = forms.CharField(label="说明", required=False, help_text="可不填")
    told = forms.BooleanField(label="已告知", required=False)


def _render(form, name) -> str:
    return Template("{% load dms %}{{ field|bs_field }}").render(Context({"field": form[name]}))


def test_a_required_text_field_has_its_label_asterisk_and_input_class():
    html = _render(SampleForm(), "name")

    assert parse_html(html) == parse_html(
        '<div id="div_id_name" class="mb-3"><label for="id_name" class="form-label'
        ' requiredField">客户姓名<span class="asteriskField">*</span></label>'
        '<input type="text" name="name" maxlength="5" class="form-control" required'
        ' id="id_name"></div>'
    )


def test_an_invalid_field_is_marked_and_shows_its_error():
    form = SampleForm(data={"name": "王建国王建国", "kind": "a"})
    assert not form.is_valid()

    html = _render(form, "name")

    assert 'class="form-control is-invalid"' in html
    assert '<span id="error_1_id_name" class="invalid-feedback">' in html
    assert f"<strong>{form.errors['name'][0]}</strong>" in html


def test_a_select_gets_form_select_and_an_optional_field_its_help():
    form = SampleForm()

    assert 'class="form-select"' in _render(form, "kind")
    note = _render(form, "note")
    assert "asteriskField" not in note
    assert '<div id="id_note_helptext" class="form-text">可不填</div>' in note


def test_checkboxes_and_radios_are_left_to_crispy():
    with pytest.raises(TypeError):
        bs_field(SampleForm()["told"])
