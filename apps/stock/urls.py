"""The parts stock pages (namespace `stock`)."""

from django.urls import path

from . import views, views_accessories

app_name = "stock"
urlpatterns = [
    path("", views.stock_list, name="stock_list"),
    path("parts/<int:pk>/", views.part_detail, name="part_detail"),
    path("parts/<int:pk>/settings/", views.stock_update, name="stock_update"),
    # issue slips (出库单) and returns (退料单)
    path("issues/", views.issue_list, name="issue_list"),
    path("work-orders/<int:pk>/", views.work_order_parts, name="work_order_parts"),
    path("work-orders/<int:pk>/block/", views.work_order_block, name="work_order_block"),
    path("work-orders/<int:pk>/issue/", views.issue_create, name="issue_create"),
    path("work-orders/<int:pk>/return/", views.return_create, name="return_create"),
    path("work-orders/<int:pk>/lines/<int:line_pk>/reserve/", views.reserve, name="reserve"),
    path(
        "work-orders/<int:pk>/lines/<int:line_pk>/request/",
        views.request_for_line,
        name="request_for_line",
    ),
    path("slips/<int:pk>/", views.slip_detail, name="slip_detail"),
    path("slips/<int:pk>/signature/", views.slip_signature, name="slip_signature"),
    path("slips/<int:pk>/confirm/", views.slip_confirm, name="slip_confirm"),
    # pre-picking: the day's pick list, its print, run, tick and transfer
    path("prepick/", views.prepick, name="prepick"),
    path("prepick/print/", views.prepick_print, name="prepick_print"),
    path("prepick/run/", views.prepick_run, name="prepick_run"),
    path("prepick/pick/", views.prepick_pick, name="prepick_pick"),
    path(
        "prepick/appointments/<int:pk>/transfer/",
        views.prepick_transfer,
        name="prepick_transfer",
    ),
    # purchase requests (请购单) and receiving (入库)
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:pk>/seen/", views.arrival_seen, name="arrival_seen"),
    path("receipts/", views.receipt_list, name="receipt_list"),
    path("receipts/new/", views.receipt_create, name="receipt_create"),
    path("receipts/<int:pk>/", views.receipt_detail, name="receipt_detail"),
    # stock counts (盘点)
    path("counts/", views.count_list, name="count_list"),
    path("counts/new/", views.count_create, name="count_create"),
    path("counts/<int:pk>/", views.count_detail, name="count_detail"),
    path("counts/<int:pk>/enter/", views.count_enter, name="count_enter"),
    path("counts/<int:pk>/move/", views.count_move, name="count_move"),
    # accessories (精品): counter sales, sellers, the monthly commission
    path("sales/", views_accessories.counter_sale_list, name="counter_sale_list"),
    path("sales/new/", views_accessories.counter_sale_create, name="counter_sale_create"),
    path("sales/<int:pk>/", views_accessories.counter_sale_detail, name="counter_sale_detail"),
    path(
        "work-orders/<int:pk>/lines/<int:line_pk>/seller/",
        views_accessories.accessory_seller_set,
        name="accessory_seller_set",
    ),
    path("commission/", views_accessories.commission_page, name="commission"),
    path("commission/excel/", views_accessories.commission_excel, name="commission_excel"),
]
