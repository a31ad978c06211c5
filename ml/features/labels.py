"""Names of the features as managers read them (RU / EN), and the event types they are counted by."""
from __future__ import annotations

EVENT_TYPES = ["email_open", "email_click", "site_visit", "product_view", "cart_abandon", "unsubscribe"]

FEATURE_LABELS: dict[str, tuple[str, str]] = {
    "recency_days": ("Дней с последней покупки", "Days since last purchase"),
    "frequency": ("Число покупок", "Number of purchases"),
    "monetary_total": ("Сумма покупок", "Total spend"),
    "monetary_avg": ("Средний чек", "Average order value"),
    "tenure_days": ("Срок жизни клиента, дней", "Tenure, days"),
    "ipi_mean": ("Средний интервал между покупками", "Mean inter-purchase interval"),
    "ipi_median": ("Медианный интервал между покупками", "Median inter-purchase interval"),
    "cycle_lateness": ("Опоздание относительно цикла", "Lateness vs usual purchase cycle"),
    "r_score": ("R-балл", "R score"),
    "f_score": ("F-балл", "F score"),
    "m_score": ("M-балл", "M score"),
    "purchases_90d": ("Покупок за 90 дней", "Purchases in last 90 days"),
    "spend_90d": ("Сумма за 90 дней", "Spend in last 90 days"),
    "complaints_per_month": ("Жалоб в месяц", "Complaints per month"),
    "complaints_90d": ("Жалоб за 90 дней", "Complaints in last 90 days"),
    "manager_minutes_per_month": ("Минут менеджера в месяц", "Manager minutes per month"),
    "manager_minutes_90d": ("Минут менеджера за 90 дней", "Manager minutes in last 90 days"),
    "call_count": ("Число звонков", "Number of calls"),
    "ticket_count": ("Число обращений", "Number of tickets"),
    "tickets_90d": ("Обращений за 90 дней", "Tickets in last 90 days"),
    "reopen_rate": ("Доля переоткрытых обращений", "Ticket reopen rate"),
    "price_ticket_share": ("Доля обращений о цене/оплате", "Share of billing/price tickets"),
    "tone_mean": ("Средний тон переписки", "Mean message tone"),
    "tone_delta": ("Изменение тона (последние 30 дней)", "Recent tone change"),
    "message_count": ("Число писем", "Number of messages"),
    "discount_share": ("Доля покупок со скидкой", "Share of discounted orders"),
    "discount_depth": ("Средняя глубина скидки", "Average discount depth"),
    "first_purchase_discount": ("Первая покупка со скидкой", "First purchase with discount"),
    "returns_share": ("Доля возвратов", "Returns share"),
    "cancel_share": ("Доля отмен", "Cancellation share"),
    "n_categories": ("Число категорий", "Number of categories"),
    "top_category_share": ("Доля главной категории", "Top category share"),
    "engagement_30d": ("Активность за 30 дней", "Engagement in last 30 days"),
    "engagement_90d": ("Активность за 90 дней", "Engagement in last 90 days"),
    "unsubscribed": ("Отписался от рассылки", "Unsubscribed"),
    "has_purchase": ("Есть покупки", "Has purchases"),
    "days_since_last_contact": ("Дней с последнего контакта", "Days since last contact"),
    "p_alive": ("Вероятность «жив» (BG/NBD)", "P(alive), BG/NBD"),
    "btyd_expected_purchases": ("Ожидаемые покупки (BG/NBD)", "Expected purchases, BG/NBD"),
    "btyd_p_no_purchase": ("P(нет покупок в горизонте), BG/NBD", "P(no purchase in horizon), BG/NBD"),
}
_EVENT_RU = {"email_open": "открытий писем", "email_click": "кликов в письмах", "site_visit": "визитов на сайт",
             "product_view": "просмотров товаров", "cart_abandon": "брошенных корзин", "unsubscribe": "отписок"}
for _e in EVENT_TYPES:
    for _w in (30, 90):
        FEATURE_LABELS[f"{_e}_{_w}d"] = (f"{_EVENT_RU[_e].capitalize()} за {_w} дней",
                                        f"{_e.replace('_', ' ').capitalize()}s in last {_w} days")


def feature_label(name: str, lang: str = "ru") -> str:
    if name.startswith("cat_share__"):
        cat = name[len("cat_share__"):]
        return f"Доля категории «{cat}»" if lang == "ru" else f"Share of category '{cat}'"
    ru, en = FEATURE_LABELS.get(name, (name, name))
    return ru if lang == "ru" else en
