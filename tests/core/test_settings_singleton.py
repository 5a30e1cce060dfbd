import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.core.selectors import dealership_settings


@pytest.mark.django_db
def test_dealership_settings_start_with_the_domain_defaults():
    settings_row = dealership_settings()

    assert settings_row.pk == 1
    assert settings_row.sales_documents_due_working_days == 2
    assert settings_row.callback_3dc_open_day == 3
    assert settings_row.contact_limit_per_week == 2
    assert settings_row.callback_window1_start == dt.time(10, 0)


@pytest.mark.django_db
def test_dealership_settings_refuse_a_callback_window_that_ends_before_it_starts():
    settings_row = dealership_settings()
    settings_row.callback_window1_end = dt.time(9, 0)

    with pytest.raises(ValidationError) as error:
        settings_row.full_clean()

    assert "callback_window1_end" in error.value.message_dict
