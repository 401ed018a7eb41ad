"""The content market's words, Persian and English (merged into `i18n`'s)."""

from __future__ import annotations

MARKET_WORDS: dict[str, tuple[str, str]] = {
    "market": ("بازار محتوا", "Content market"),
    "market_note": ("ارقام ماه‌های قطعی: بایت‌هایی که تسویه برای هر محتوا شمرد و شمار "
                    "شبکه‌های مشتری جدا (/۲۴ و /۴۸).",
                    "Figures of final months: the bytes settlement counted for each item and "
                    "its distinct client networks (/24 and /48)."),
    "no_market": ("هنوز ماهی قطعی نشده است؛ ارقام بازار پس از قطعی شدن ماه منتشر می‌شود.",
                  "No month is published yet; a month's figures appear once it is final."),
    "top_by_bytes": ("برترین‌ها بر پایهٔ بایت", "Top by bytes"),
    "top_by_clients": ("برترین‌ها بر پایهٔ شبکه‌های مشتری", "Top by client networks"),
    "client_networks": ("شبکه‌های مشتری", "Client networks"),
    "content_item": ("محتوا", "Content item"),
    "category": ("دسته", "Category"),
    "language_code": ("زبان", "Language"),
    "all": ("همه", "All"),
    "filter": ("پالایش", "Filter"),
    "catalogue": ("فهرست محتوا", "Catalogue"),
    "province_catalogue": ("فهرست محتوای استان", "Province catalogue"),
    "download_json": ("دریافت JSON", "Download JSON"),
    "bytes": ("بایت", "Bytes"),
    "item_active": ("فعال", "active"),
    "item_withdrawn": ("کنار گذاشته", "withdrawn"),
    "save": ("ذخیره", "Save"),
    "retire": ("کنار گذاشتن", "Withdraw"),
    "content_id": ("شناسه", "Id"),
    "title": ("عنوان", "Title"),
    "claim_requests": ("درخواست‌های ادعای میزبان", "Host claim requests"),
    "request_claim": ("درخواست ادعای میزبان", "Ask for a host claim"),
    "host_path": ("میزبان یا میزبان/مسیر", "Host or host/path"),
    "approve": ("تأیید", "Approve"),
    "refuse": ("رد", "Refuse"),
    "req_pending": ("در انتظار", "pending"),
    "req_approved": ("تأییدشده", "approved"),
    "req_refused": ("ردشده", "refused"),
    "new_entry": ("محتوای تازه یا ویرایش", "New entry, or edit one"),
    **{f"cat_{c}": pair for c, pair in {
        "video": ("ویدئو", "Video"), "audio": ("صوت", "Audio"), "news": ("خبر", "News"),
        "education": ("آموزش", "Education"), "science": ("علم", "Science"),
        "books": ("کتاب", "Books"), "games": ("بازی", "Games"),
        "software": ("نرم‌افزار", "Software"), "culture": ("فرهنگ", "Culture"),
        "sport": ("ورزش", "Sport"), "children": ("کودک", "Children"),
        "religion": ("دین", "Religion"), "other": ("دیگر", "Other")}.items()},
}
