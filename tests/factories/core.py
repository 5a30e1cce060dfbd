from apps.core.settings import areas, current_settings


def rules_in_cache() -> None:
    """Every area's settings row exists and is cached, as in production after the first
    page: a page then reads its rules without a query."""
    for model in areas():
        current_settings(model)
