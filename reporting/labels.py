"""Every word of the report in both languages. A key missing in one language is a bug the unit
tests catch (``LANGS`` must cover every entry)."""

from __future__ import annotations

LANGS = ("ru", "en")

TEXT: dict[str, dict[str, str]] = {
    "title": {"ru": "Ежедневный отчёт о клиентской базе", "en": "Daily customer-base report"},
    "as_of": {"ru": "на дату", "en": "as of"},
    "switch": {"ru": "English", "en": "Русский"},
    "generated_from": {"ru": "Построено из хранилища", "en": "Built from the warehouse"},
    "customers": {"ru": "Клиенты", "en": "Customers"},
    "customer": {"ru": "Клиент", "en": "Customer"},
    "manager": {"ru": "Менеджер", "en": "Manager"},
    "count": {"ru": "Количество", "en": "Count"},
    "share": {"ru": "Доля", "en": "Share"},
    "value_at_risk": {"ru": "Ценность под риском, ₽", "en": "Value at risk, RUB"},
    "expected_value": {"ru": "Ожидаемая ценность, ₽", "en": "Expected value, RUB"},
    "reasons": {"ru": "Причины", "en": "Reasons"},
    "stage_change": {"ru": "Стадия: было → стало", "en": "Stage: before → now"},
    "none": {"ru": "—", "en": "—"},
    # digest
    "digest": {"ru": "Сводка дня", "en": "The day's digest"},
    "action_lists": {"ru": "Списки действий", "en": "Action lists"},
    "list": {"ru": "Список", "en": "List"},
    "primary": {"ru": "Первый список клиента сегодня", "en": "Customer's first list today"},
    "rfcm_alarm": {"ru": "Тревога RFCM", "en": "RFCM alarm"},
    "alarm_on": {"ru": "ТРЕВОГА: доля клиентов с низкими C и R — {share} (порог {threshold}). Начинайте мягко.",
                 "en": "ALARM: share of customers with low C and R is {share} (threshold {threshold}). Start softly."},
    "alarm_off": {"ru": "Норма: доля клиентов с низкими C и R — {share} (порог {threshold}).",
                  "en": "Normal: share of customers with low C and R is {share} (threshold {threshold})."},
    "crossed": {"ru": "Перешли в зону риска сегодня", "en": "Crossed into risk today"},
    "crossed_digest": {"ru": "Первый запуск: вместо оповещений по клиентам — сводки по менеджерам ({n}).",
                       "en": "First run: one digest per manager instead of per-customer alerts ({n})."},
    "movers": {"ru": "Главные изменения по ценности под риском", "en": "Top movers by value at risk"},
    "movers_fallback": {
        "ru": "Нет предыдущего снимка для сравнения: показаны клиенты в зоне риска с наибольшей ценностью под риском.",
        "en": "No earlier snapshot to compare with: showing the at-risk customers with the largest value at risk."},
    "worse": {"ru": "хуже", "en": "worse"},
    "better": {"ru": "лучше", "en": "better"},
    # empty states
    "missing_table": {"ru": "Таблицы {detail} нет в хранилище (шаг не запускался).",
                      "en": "Table {detail} is not in the warehouse (its step has not run)."},
    "missing_columns": {"ru": "В таблице нет нужных столбцов: {detail}.",
                        "en": "The table lacks the columns this chart needs: {detail}."},
    "empty_table": {"ru": "В таблице {detail} нет строк на эту дату.",
                    "en": "Table {detail} has no rows for this date."},
    "query_error": {"ru": "Таблицу не удалось прочитать: {detail}.", "en": "The table could not be read: {detail}."},
    "first_run": {"ru": "Первый запуск: предыдущего снимка нет, сравнивать не с чем. Миграция появится после следующего запуска.",
                  "en": "First run: there is no earlier snapshot to compare with. Migration appears after the next run."},
    "no_labels": {"ru": "Реализованных исходов пока нет: модель {model} ({reason}); калибровку и лифт проверить нельзя.",
                  "en": "No realised outcomes yet: model {model} ({reason}); calibration and lift cannot be checked."},
    # charts
    "rfm_heatmap": {"ru": "RFM: давность × частота", "en": "RFM: recency × frequency"},
    "rfm_heatmap_note": {"ru": "Покупатели по баллам R и F (5 — лучше); цвет — число клиентов, подсказка — сегмент.",
                         "en": "Buyers by R and F score (5 = best); colour = customers, tooltip = segment."},
    "r_score": {"ru": "Давность R", "en": "Recency R"},
    "f_score": {"ru": "Частота F", "en": "Frequency F"},
    "segment": {"ru": "Сегмент", "en": "Segment"},
    "mean_monetary": {"ru": "Средняя выручка, ₽", "en": "Mean revenue, RUB"},
    "risk_value": {"ru": "Риск × ценность", "en": "Risk × value"},
    "risk_value_note": {"ru": "Клиенты в каждой клетке; цвет — уровень действия (1 — зелёный … 5 — красный).",
                        "en": "Customers per cell; colour = action level (1 green … 5 red)."},
    "risk_stage": {"ru": "Стадия риска", "en": "Risk stage"},
    "value_tier": {"ru": "Уровень ценности", "en": "Value tier"},
    "action_level": {"ru": "Уровень действия", "en": "Action level"},
    "revenue": {"ru": "Выручка, ₽", "en": "Revenue, RUB"},
    "migration": {"ru": "Миграция сегментов между снимками", "en": "Segment migration between snapshots"},
    "migration_note": {"ru": "RFM-сегмент в предыдущем снимке ({previous}) → сегодня; цвет — число клиентов.",
                       "en": "RFM segment in the previous snapshot ({previous}) → today; colour = customers."},
    "from_segment": {"ru": "Было", "en": "Before"},
    "to_segment": {"ru": "Стало", "en": "Now"},
    "coverage": {"ru": "Покрытие контактов «точка А»", "en": "Contact coverage (point A)"},
    "coverage_note": {"ru": "Доли всей базы по снимкам ({n}); тренд растёт с каждым запуском.",
                      "en": "Shares of the whole base per snapshot ({n}); the trend grows with every run."},
    "date": {"ru": "Дата", "en": "Date"},
    "measure": {"ru": "Показатель", "en": "Measure"},
    "reachable_share": {"ru": "Есть канал связи", "en": "Reachable"},
    "valid_email_share": {"ru": "Верный e-mail", "en": "Valid e-mail"},
    "valid_phone_share": {"ru": "Верный телефон", "en": "Valid phone"},
    "both_share": {"ru": "И e-mail, и телефон", "en": "E-mail and phone"},
    "health": {"ru": "Распределение здоровья клиентов", "en": "Health distribution"},
    "health_note": {"ru": "Оценка здоровья 0–100 (100 — нет сигналов риска), шаг 10; цвет — зона.",
                    "en": "Health score 0–100 (100 = no risk signal), bins of 10; colour = band."},
    "health_score": {"ru": "Оценка здоровья", "en": "Health score"},
    "health_band": {"ru": "Зона", "en": "Band"},
    "calibration": {"ru": "Калибровка модели оттока", "en": "Churn model calibration"},
    "calibration_note": {
        "ru": "Модель {model}: предсказанная вероятность против реального оттока по децилям на срезе {cutoff} "
              "(вне обучения, n={n}, Brier {brier}). Сегодняшние оценки ({scored} клиентов) исхода ещё не имеют.",
        "en": "Model {model}: predicted probability against realised churn per decile on the {cutoff} cut-off "
              "(out of time, n={n}, Brier {brier}). Today's scores ({scored} customers) have no outcome yet."},
    "decile": {"ru": "Дециль", "en": "Decile"},
    "predicted": {"ru": "Предсказано", "en": "Predicted"},
    "observed": {"ru": "Фактически", "en": "Observed"},
    "lift": {"ru": "Лифт модели оттока", "en": "Churn model lift"},
    "lift_note": {"ru": "Доля ушедших в дециле / средняя доля ({base}); дециль 1 — самые высокие оценки. Лифт top-10 %: {top}.",
                  "en": "Churn rate of the decile / the base rate ({base}); decile 1 = highest scores. Top-10 % lift: {top}."},
    "lift_axis": {"ru": "Лифт", "en": "Lift"},
    "clusters": {"ru": "Профили кластеров", "en": "Cluster profiles"},
    "clusters_note": {"ru": "Центры кластеров по признакам (цвет — от минимума к максимуму среди кластеров, число — значение).",
                      "en": "Cluster centres per feature (colour = min to max across clusters, number = value)."},
    "clusters_counts_note": {"ru": "Профилей кластеров нет: показаны размеры сегментов.",
                             "en": "No cluster profiles: showing segment sizes."},
    "cluster": {"ru": "Кластер", "en": "Cluster"},
    "feature": {"ru": "Признак", "en": "Feature"},
    "value": {"ru": "Значение", "en": "Value"},
    "dq_source": {"ru": "Качество данных по источникам", "en": "Data quality by source"},
    "dq_source_note": {"ru": "Доли строк CRM-файла; отклонённых при загрузке строк: {rejected}.",
                       "en": "Shares of a CRM file's rows; rows rejected at ingestion: {rejected}."},
    "source_file": {"ru": "Файл", "en": "File"},
    "quarantined_share": {"ru": "В карантине", "en": "Quarantined"},
    "placeholder_name_share": {"ru": "Имя-заглушка", "en": "Placeholder name"},
    "junk_email_share": {"ru": "Мусорный e-mail", "en": "Junk e-mail"},
    "no_contact_channel_share": {"ru": "Нет канала связи", "en": "No contact channel"},
    "dq_manager": {"ru": "Качество заполнения по менеджерам", "en": "Data quality by manager"},
    "dq_manager_note": {"ru": "Средняя заполненность карточек (0–100), худшие сверху.",
                        "en": "Mean profile completeness (0–100), worst first."},
    "mean_completeness": {"ru": "Средняя заполненность", "en": "Mean completeness"},
    "contacts": {"ru": "Карточек", "en": "Profiles"},
}

#: Display names of codes the tables store in English.
CODES: dict[str, dict[str, str]] = {
    "active": {"ru": "активный", "en": "active"},
    "at_risk": {"ru": "в зоне риска", "en": "at risk"},
    "potential_churn": {"ru": "на грани ухода", "en": "potential churn"},
    "churned": {"ru": "ушёл", "en": "churned"},
    "bronze": {"ru": "бронза", "en": "bronze"},
    "silver": {"ru": "серебро", "en": "silver"},
    "gold": {"ru": "золото", "en": "gold"},
    "platinum": {"ru": "платина", "en": "platinum"},
    "healthy": {"ru": "здоров", "en": "healthy"},
    "watch": {"ru": "наблюдать", "en": "watch"},
    "critical": {"ru": "критично", "en": "critical"},
    "should_have_bought": {"ru": "должен был купить", "en": "should have bought"},
    "reactivation": {"ru": "реактивация", "en": "reactivation"},
    "near_death": {"ru": "на грани", "en": "near death"},
    "goodbye": {"ru": "прощальное письмо", "en": "goodbye"},
    "hot_trigger": {"ru": "горячий триггер", "en": "hot trigger"},
    "toxic_review": {"ru": "проверка токсичности", "en": "toxic review"},
    "suppression": {"ru": "не беспокоить", "en": "suppression"},
}


def t(key: str, lang: str, **fields: object) -> str:
    """The text of ``key`` in ``lang``, with ``{field}`` placeholders filled."""
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


def code(value: object, lang: str) -> str:
    """A stored code in the reader's language (unknown codes as stored)."""
    if value is None or (isinstance(value, float) and value != value):
        return TEXT["none"][lang]
    return CODES.get(str(value), {}).get(lang, str(value))
