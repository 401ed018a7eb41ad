"""Persian first, English on request: words, digits, sizes and Jalali dates."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from pahna.calendar import JalaliMonth, jalali_date_text
from pahna.report.numerals import format_amount, format_decimal, persian_digits
from pahna.web.marketwords import MARKET_WORDS

LANGUAGES = ("fa", "en")
MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان",
             "آذر", "دی", "بهمن", "اسفند")
MONTHS_EN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr",
             "Aban", "Azar", "Dey", "Bahman", "Esfand")

_WORDS: dict[str, tuple[str, str]] = {
    "app": ("پهنا — سامانهٔ پرداخت پهنای باند", "pahna — bandwidth settlement"),
    "overview": ("نمای کشوری", "National overview"),
    "public": ("شفافیت", "Transparency"),
    "settlement": ("تسویه", "Settlement"),
    "registry": ("ثبت", "Registry"),
    "login": ("ورود", "Log in"),
    "logout": ("خروج", "Log out"),
    "username": ("نام کاربری", "Username"),
    "password": ("گذرواژه", "Password"),
    "period": ("دوره", "Period"),
    "province": ("استان", "Province"),
    "provinces": ("استان‌ها", "Provinces"),
    "producer": ("تولیدکننده", "Producer"),
    "producers": ("تولیدکنندگان", "Producers"),
    "top_producers": ("تولیدکنندگان برتر", "Top producers"),
    "type": ("نوع", "Type"),
    "traffic": ("ترافیک", "Traffic"),
    "gb": ("گیگابایت", "GB"),
    "rials": ("ریال", "rials"),
    "amount": ("مبلغ (ریال)", "Amount (rials)"),
    "claim": ("ادعا (ریال)", "Claim (rials)"),
    "total": ("جمع", "Total"),
    "trend": ("روند ماهانه", "Monthly trend"),
    "per_day": ("ترافیک روزانه", "Traffic per day"),
    "per_5min": ("ترافیک هر ۵ دقیقه", "Traffic per 5 minutes"),
    "day": ("روز", "Day"),
    "domestic": ("داخلی", "Domestic"),
    "international": ("بین‌المللی", "International"),
    "unknown": ("نامشخص", "Unknown"),
    "claims": ("ادعاهای نشانی", "Address claims"),
    "statements": ("صورت‌حساب‌ها", "Statements"),
    "statement": ("صورت‌حساب", "Statement"),
    "dispute": ("اعتراض", "Dispute"),
    "disputes": ("اعتراض‌ها", "Disputes"),
    "integrity": ("سلامت ترافیک", "Traffic integrity"),
    "integrity_note": ("ردیف‌های نگه‌داشته‌شدهٔ صورت‌حساب‌های قطعی، با شاخص‌ها و مبنای هر تصمیم",
                       "Held lines of final statements, with the signals and baselines "
                       "behind each decision"),
    "signals": ("شاخص‌ها", "Signals"),
    "hold_held": ("نگه‌داشته", "held"),
    "hold_released": ("آزادشده", "released"),
    "hold_confirmed": ("تأییدشده (پرداخت نمی‌شود)", "confirmed (withheld)"),
    "hold_reason": ("علت", "Reason"),
    "hold_figure": ("مقدار", "Figure"),
    "hold_baseline": ("مبنا (میانه)", "Baseline (median)"),
    "hold_threshold": ("آستانه", "Threshold"),
    "hold_decision_reason": ("دلیل تصمیم", "Why"),
    "hold_release": ("آزاد شود", "Release"),
    "hold_confirm": ("تأیید نگه‌داشت", "Confirm the hold"),
    "holds": ("نگه‌داشت پرداخت", "Payment held"),
    "hold_answers": ("پاسخ تولیدکننده (از راه اعتراض)", "The producer's answer (by dispute)"),
    "chart_day": ("سهم هر ساعت از روز (به وقت تهران)", "Share of each hour of the day (Tehran)"),
    "chart_month": ("سهم هر روز از ماه", "Share of each day of the month"),
    "chart_networks": ("شبکه‌های گیرنده (بیشترین بایت)", "Client networks (most bytes)"),
    "chart_producer": ("این تولیدکننده", "this producer"),
    "chart_nation": ("کل کشور", "the nation"),
    "excluded_bytes": ("ترافیک کنارگذاشته (گیگابایت)", "Bytes excluded (GB)"),
    "held_lines": ("ردیف‌های نگه‌داشته", "Lines held"),
    "held_amount": ("مبلغ نگه‌داشته", "Amount held"),
    "send": ("ارسال", "Send"),
    "message": ("متن", "Message"),
    "prefix": ("پیشوند", "Prefix"),
    "valid_from": ("از", "From"),
    "valid_to": ("تا", "To"),
    "open_ended": ("بی‌پایان", "open-ended"),
    "nested": ("تو در تو (تأییدشده)", "nested (approved)"),
    "conflict": ("هشدار هم‌پوشانی", "Overlap warning"),
    "add_claim": ("افزودن ادعا", "Add a claim"),
    "approve_nested": ("تأیید پیشوند تو در تو", "Approve a nested prefix"),
    "recompute": ("محاسبهٔ دوبارهٔ پیش‌نویس", "Recompute the draft"),
    "draft": ("پیش‌نویس", "Draft"),
    "changes": ("تغییرات نسبت به پیش‌نویس قبلی", "Changes since the last draft"),
    "no_changes": ("بدون تغییر", "No changes"),
    "before": ("قبل", "Before"),
    "after": ("بعد", "After"),
    "unattributed": ("بی‌صاحب", "Unattributed"),
    "pool": ("سقف بودجه", "Budget pool"),
    "download_csv": ("دریافت CSV", "Download CSV"),
    "by_type": ("بر پایهٔ نوع تولیدکننده", "By producer type"),
    "public_centre": ("مرکز دولتی", "Public centre"),
    "private_company": ("شرکت خصوصی", "Private company"),
    "student_startup": ("استارتاپ دانشجویی", "Student start-up"),
    "other": ("دیگر", "Other"),
    "forbidden": ("دسترسی ندارید", "Forbidden"),
    "not_found": ("پیدا نشد", "Not found"),
    "server_error": ("خطای سامانه", "Server error"),
    "bad_login": ("نام کاربری یا گذرواژه نادرست است (یا حساب غیرفعال است)",
                  "Wrong username or password (or the account is disabled)"),
    "refused": ("پذیرفته نشد", "Not accepted"),
    "throttled": ("تلاش‌های زیاد؛ کمی بعد دوباره بکوشید",
                  "Too many attempts; try again later"),
    "saved": ("ثبت شد", "Saved"),
    "no_data": ("داده‌ای نیست", "No data"),
    "language": ("English", "فارسی"),
    "home": ("خانه", "Home"),
    "published_note": ("مبالغ صورت‌حساب‌های نهایی؛ پیش‌نویس‌ها منتشر نمی‌شوند",
                       "Amounts of final statements; drafts are never published"),
    "state": ("وضعیت", "State"),
    "status_none": ("بی‌پیش‌نویس", "No draft"),
    "status_final": ("نهایی", "Final"),
    "status_paid": ("پرداخت‌شده", "Paid"),
    "status_voided": ("باطل", "Void"),
    "status_draft": ("پیش‌نویس", "Draft"),
    "revision": ("ویرایش", "Revision"),
    "content_hash": ("شناسه محتوا (sha256)", "Content hash (sha256)"),
    "payment_reference": ("مرجع پرداخت", "Payment reference"),
    "review": ("بازبینی برای نهایی‌سازی", "Review for finalizing"),
    "finalize": ("نهایی‌سازی و مهر", "Finalize and seal"),
    "finalize_note": ("صورت‌حساب نهایی تغییرناپذیر است؛ اصلاح فقط با تعدیل در دورهٔ بعد.",
                      "A final statement never changes; corrections go in a later period "
                      "as adjustments."),
    "final_closed": ("این دوره نهایی شده است؛ پیش‌نویس تازه پذیرفته نمی‌شود.",
                     "This period is final; no new draft is accepted."),
    "no_final": ("این دوره هنوز صورت‌حساب نهایی ندارد؛ پیش‌نویس‌ها منتشر نمی‌شوند.",
                 "This period has no final statement yet; drafts are not published."),
    "draft_sha": ("شناسه پیش‌نویس بازبینی‌شده", "Reviewed draft (sha256)"),
    "accounts": ("حساب‌های کاربری", "Accounts"),
    "role": ("نقش", "Role"),
    "scope_of": ("محدوده", "Scope"),
    "tokens": ("توکن‌های API", "API tokens"),
    "token": ("توکن", "Token"),
    "label": ("برچسب", "Label"),
    "scopes": ("مجوزها", "Scopes"),
    "created": ("ساخته‌شده", "Created"),
    "expires": ("انقضا", "Expires"),
    "disable": ("غیرفعال‌سازی", "Disable"),
    "enable": ("فعال‌سازی", "Enable"),
    "disabled": ("غیرفعال", "Disabled"),
    "active": ("فعال", "Active"),
    "expired": ("منقضی", "Expired"),
    "revoked": ("باطل‌شده", "Revoked"),
    "revoke": ("ابطال", "Revoke"),
    "new_password": ("گذرواژهٔ تازه", "New password"),
    "reset_password": ("تعیین گذرواژهٔ تازه", "Reset the password"),
    "answer": ("پاسخ", "Answer"),
    "answer_send": ("ثبت پاسخ", "Send the answer"),
    "close_dispute": ("بستن اعتراض", "Close the dispute"),
    "dispute_open": ("باز", "Open"),
    "dispute_answered": ("پاسخ داده شد", "Answered"),
    "dispute_closed": ("بسته", "Closed"),
    "grants": ("طرح‌های بلاعوض", "Grants"),
    "grant_board": ("تابلوی کمک‌های بلاعوض فناوری اطلاعات", "IT grant board"),
    "open_calls": ("فراخوان‌های باز", "Open calls"),
    "calls": ("فراخوان‌ها", "Calls"),
    "call": ("فراخوان", "Call"),
    "awards": ("اعطاها", "Awards"),
    "agreements": ("قراردادها", "Agreements"),
    "milestones": ("مراحل", "Milestones"),
    "payments": ("پرداخت‌ها", "Payments"),
    "red_flags": ("پرچم‌های قرمز", "Red flags"),
    "students_funded": ("دانشجویان کارآفرین حمایت‌شده", "Student entrepreneurs funded"),
    "awarded_total": ("جمع اعطاشده (ریال)", "Awarded in total (rials)"),
    "by_place": ("به تفکیک استان و منطقه ویژه", "By province and special IT zone"),
    "zone": ("منطقه ویژه فناوری اطلاعات", "Special IT zone"),
    "applicant": ("متقاضی", "Applicant"),
    "applications": ("درخواست‌ها", "Applications"),
    "apply": ("ارسال درخواست", "Apply"),
    "requested": ("مبلغ درخواستی (ریال)", "Requested (rials)"),
    "summary": ("خلاصه", "Summary"),
    "proposal": ("طرح پیشنهادی (PDF)", "Proposal (PDF)"),
    "declare_true": ("اطلاعات درست است", "The information is true"),
    "declare_funding": ("برای همین کار کمک دیگری نگرفته‌ام", "No other funding for this work"),
    "window": ("مهلت", "Window"),
    "max_award": ("سقف کمک (ریال)", "Maximum award (rials)"),
    "status": ("وضعیت", "Status"),
    "score": ("امتیاز", "Score"),
    "scores": ("امتیازها", "Scores"),
    "scores_hidden": ("امتیاز داوران دیگر تا پایان مهلت پنهان است",
                      "Other reviewers' scores are hidden until the call closes"),
    "conflict_of_interest": ("تعارض منافع دارم", "I have a conflict of interest"),
    "no_conflict": ("تعارض منافع ندارم", "No conflict of interest"),
    "recused": ("کناره‌گیری", "Recused"),
    "reason": ("دلیل", "Reason"),
    "ranking": ("رتبه‌بندی", "Ranking"),
    "publish_award": ("انتشار اعطا", "Publish the award"),
    "sign_agreement": ("امضای قرارداد", "Sign the agreement"),
    "report_milestone": ("گزارش مرحله", "Report the milestone"),
    "accept": ("پذیرش", "Accept"),
    "reject": ("رد", "Reject"),
    "close_call": ("بستن فراخوان", "Close the call"),
    "new_call": ("فراخوان تازه", "New call"),
    "my_grants": ("کمک‌های من", "My grants"),
    "documents": ("مدارک", "Documents"),
    "open_data": ("داده باز (OCDS)", "Open data (OCDS)"),
    "tranche": ("قسط (ریال)", "Tranche (rials)"),
    "due": ("موعد", "Due"),
    "flag_single_applicant": ("تنها یک متقاضی", "Single applicant"),
    "flag_short_window": ("مهلت کوتاه", "Short window"),
    "flag_concentration": ("تمرکز اعطاها", "Awards concentrated"),
    "flag_shared_identity": ("شبا یا مالک مشترک", "Shared IBAN or owner"),
    "flag_split_award": ("تقسیم زیر سقف", "Split under a threshold"),
    "flag_reviewer_outlier": ("داور ناهمسو", "Outlying reviewer"),
    "state_scheduled": ("در برنامه", "scheduled"),
    "state_pending": ("در بررسی", "pending"),
    "state_accepted": ("پذیرفته", "accepted"),
    "state_rejected": ("رد شده", "rejected"),
    "state_batched": ("در فهرست پرداخت", "batched"),
    "state_paid": ("پرداخت شده", "paid"),
    "state_active": ("جاری", "active"),
    "state_completed": ("تکمیل", "completed"),
    "state_terminated": ("خاتمه", "terminated"),
    "state_submitted": ("ارسال شده", "submitted"),
    "state_withdrawn": ("پس گرفته شده", "withdrawn"),
    "state_cancelled": ("لغو شده", "cancelled"),
    "withdraw": ("پس گرفتن درخواست", "Withdraw the application"),
    "cancel_call": ("لغو فراخوان", "Cancel the call"),
    "new_programme": ("برنامه تازه", "New programme"),
    "programme": ("برنامه", "Programme"),
    "programmes": ("برنامه‌ها", "Programmes"),
    "year": ("سال", "Year"),
    "title_fa": ("عنوان فارسی", "Title in Persian"),
    "budget": ("بودجه (ریال)", "Budget (rials)"),
}
_WORDS.update({k: v for k, v in MARKET_WORDS.items() if k not in _WORDS})


def word(key: str, lang: str) -> str:
    pair = _WORDS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "fa" else pair[1]


def number(value: int, lang: str) -> str:
    return format_amount(int(value), lang)


def gigabytes(value: int, lang: str) -> str:
    text = str((Decimal(int(value)) / 10**9).quantize(Decimal("0.001"), ROUND_HALF_EVEN))
    return format_decimal(text, lang)


def month_name(period: str, lang: str) -> str:
    month = JalaliMonth.parse(period)
    if lang == "fa":
        return f"{MONTHS_FA[month.month - 1]} {persian_digits(str(month.year))}"
    return f"{MONTHS_EN[month.month - 1]} {month.year}"


def jalali_date(epoch_ms: int, lang: str) -> str:
    text = jalali_date_text(epoch_ms)
    return persian_digits(text.replace("-", "/")) if lang == "fa" else text


def digits(text: object, lang: str) -> str:
    return persian_digits(str(text)) if lang == "fa" else str(text)


@lru_cache(maxsize=8)
def five_minute_labels(lang: str, bins: int = 288) -> list[str]:
    """Clock times (Tehran) at which the 5-minute bins of a day start."""
    return [digits(f"{m // 60:02d}:{m % 60:02d}", lang) for m in range(0, bins * 5, 5)]
