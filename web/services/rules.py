"""Domain constants in one place: windows, deadlines, fees, time limits and the official code lists.

A city adapting the platform changes values here, not in the services that apply them.
Values marked (2nd) come from secondary sources (DOMAIN.md), so they are the first to review.
"""

from __future__ import annotations

from typing import NamedTuple

from web.models import ApplicationKind, ApplicationState, Condition, HouseKind, IdType


class Label(NamedTuple):
    """One entry of a code list: the stored code and its names."""

    code: str
    zh: str
    en: str


def labels_by_code(entries: tuple[Label, ...]) -> dict[str, Label]:
    return {entry.code: entry for entry in entries}


# --- Residence registration (居住登记), DOMAIN §3 -------------------------------------------------

# Declare within 7 days for dormitories and rentals, 15 days otherwise (2nd).
DECLARATION_DEADLINE_DAYS: dict[HouseKind, int] = {
    HouseKind.RENTAL: 7,
    HouseKind.DORMITORY: 7,
    HouseKind.OWN: 15,
    HouseKind.MANAGED: 15,
}
# One declaration covers up to 3 people of the same dwelling.
MAX_OCCUPANTS_PER_DECLARATION = 3

# --- Residence permit (居住证), DOMAIN §4 ----------------------------------------------------------

# 条例 Art. 19: 12 months of continuous registration, and social insurance for 12 consecutive
# months or 18 months in total within the last 24.
REGISTRATION_MONTHS_REQUIRED = 12
INSURANCE_CONSECUTIVE_MONTHS = 12
INSURANCE_TOTAL_MONTHS = 18
INSURANCE_WINDOW_MONTHS = 24

# 工本费 in yuan: first application and old-to-new exchange free, the rest 20 yuan (2nd).
FEES_YUAN: dict[ApplicationKind, int] = {
    ApplicationKind.FIRST: 0,
    ApplicationKind.EXCHANGE: 0,
    ApplicationKind.RENEWAL: 20,
    ApplicationKind.REPLACEMENT: 20,
    ApplicationKind.REAPPLICATION: 20,
}
ENDORSEMENT_FEE_YUAN = 0

# Working days from acceptance to the card: first application 15 (3 verification, 2 police review,
# 2 data transfer, 5 production, 3 delivery), replacement and renewal 10 (2nd). Decision: a
# re-application is handled like a first application, an exchange like a renewal.
TIME_LIMIT_WORKING_DAYS: dict[ApplicationKind, int] = {
    ApplicationKind.FIRST: 15,
    ApplicationKind.REAPPLICATION: 15,
    ApplicationKind.RENEWAL: 10,
    ApplicationKind.REPLACEMENT: 10,
    ApplicationKind.EXCHANGE: 10,
}
REFUSAL_NOTICE_WORKING_DAYS = 7  # a refusal is notified within 7 working days (2nd)

# 数码相片图像号: 6-32 letters or digits; a receipt is valid for 90 days (2nd).
PHOTO_NUMBER_MIN_LENGTH = 6
PHOTO_NUMBER_MAX_LENGTH = 32
PHOTO_RECEIPT_VALID_DAYS = 90

# Common reasons for 审核不通过 of a permit application (web/services/application_flow.py); staff
# pick one and/or write their own. Stored in Chinese, the language of the notice the applicant
# gets. There is no "withdraw" action: an applicant who gives up, or never comes to the counter,
# ends the application through a rejection with "withdrawn" or "not_presented".
APPLICATION_REJECTION_REASONS: tuple[Label, ...] = (
    Label("condition_not_met", "不符合所选申领条件", "The chosen condition is not met"),
    Label("wrong_condition", "所选申领条件有误，请按实际情况重新申请", "The wrong condition was chosen; apply again with the right one"),
    Label("registration", "居住登记信息与实际不符", "The residence registration does not match the facts"),
    Label("insurance", "社会保险缴纳记录不符合要求", "The social insurance record does not meet the requirement"),
    Label("photo", "数码相片不合格或相片回执号无效", "The photo is unsuitable or its receipt number is invalid"),
    Label("identity", "身份信息核验未通过", "The identity check failed"),
    Label("documents", "申请材料不全或与原件不符", "The documents are incomplete or do not match the originals"),
    Label("wrong_point", "不属于本受理点受理范围", "This acceptance point does not serve the applicant's district"),
    Label("not_presented", "申请人未到受理点办理", "The applicant did not come to the acceptance point"),
    Label("withdrawn", "申请人申请撤回", "Withdrawn at the applicant's request"),
    Label("other", "其他", "Other"),
)

# Names of the application's codes, for pages, receipts and the public progress query.
APPLICATION_STATES: tuple[Label, ...] = (
    Label(ApplicationState.DRAFT, "草稿", "Draft"),
    Label(ApplicationState.SUBMITTED, "已提交", "Submitted"),
    Label(ApplicationState.ACCEPTED, "已受理", "Accepted"),
    Label(ApplicationState.UNDER_REVIEW, "审核中", "Under review"),
    Label(ApplicationState.APPROVED, "审核通过", "Approved"),
    Label(ApplicationState.REJECTED, "审核不通过", "Not approved"),
    Label(ApplicationState.PENDING_PAYMENT, "待缴费", "Waiting for payment"),
    Label(ApplicationState.IN_PRODUCTION, "制证中", "Card in production"),
    Label(ApplicationState.READY_FOR_COLLECTION, "待领证", "Ready for collection"),
    Label(ApplicationState.COLLECTED, "已领证", "Collected"),
)
APPLICATION_KINDS: tuple[Label, ...] = (
    Label(ApplicationKind.FIRST, "首次申领", "First application"),
    Label(ApplicationKind.RENEWAL, "换领", "Renewal"),
    Label(ApplicationKind.REPLACEMENT, "补领", "Replacement"),
    Label(ApplicationKind.REAPPLICATION, "再次申领", "Re-application"),
    Label(ApplicationKind.EXCHANGE, "旧证换新证", "Exchange of an old card"),
)
PERMIT_CONDITIONS: tuple[Label, ...] = (
    Label(Condition.RESIDENCE_AND_INSURANCE, "稳定居所和稳定就业", "Stable residence and stable employment"),
    Label(Condition.TALENT, "人才引进", "Talent introduction"),
    Label(Condition.STUDENT, "全日制就读", "Full-time student"),
)

# 同住亲属 on one application (Decision: rows enough for a household; more are refused, not dropped).
MAX_CO_RESIDENTS = 5

# --- Endorsement (签注), DOMAIN §5 -----------------------------------------------------------------

# Within 60 days before each full year (2nd; the national rule says one month).
ENDORSEMENT_WINDOW_DAYS = 60
ENDORSEMENT_VERIFICATION_WORKING_DAYS = 3
# A late endorsement within 2 years of suspension restores the permit, after that it is cancelled.
SUSPENSION_RESTORE_YEARS = 2
# Reminders: when the window opens, 7 days before it closes, and on suspension.
ENDORSEMENT_CLOSING_REMINDER_DAYS = 7

# --- Code lists --------------------------------------------------------------------------------

ID_DOCUMENT_TYPES: tuple[Label, ...] = (
    Label(IdType.RESIDENT_ID, "居民身份证", "Resident identity card"),
    Label(IdType.PASSPORT, "护照", "Passport"),
    Label(IdType.HK_MACAO_TAIWAN, "港澳台居民往来通行证", "Hong Kong, Macao or Taiwan travel permit"),
    Label(IdType.OTHER, "其他", "Other"),
)

# 职业 (DOMAIN §3), stored as the number.
OCCUPATIONS: tuple[Label, ...] = (
    Label("1", "国家公务员", "Civil servant"),
    Label("2", "专业技术人员", "Professional or technical staff"),
    Label("3", "职员", "Clerk"),
    Label("4", "企业管理人员", "Enterprise manager"),
    Label("5", "工人", "Worker"),
    Label("6", "农民", "Farmer"),
    Label("7", "学生", "Student"),
    Label("8", "现役军人", "Serving soldier"),
    Label("9", "自由职业者", "Freelancer"),
    Label("10", "个体经营者", "Self-employed"),
    Label("11", "无业人员", "Unemployed"),
    Label("12", "退(离)休人员", "Retired"),
    Label("13", "其他", "Other"),
)

# 来深事由, the reason for coming to Shenzhen (DOMAIN §3), stored as the number.
REASONS: tuple[Label, ...] = (
    Label("1", "务工", "Work"),
    Label("2", "务农", "Farming"),
    Label("3", "经商", "Business"),
    Label("4", "服务", "Services"),
    Label("5", "因公出差", "Business trip"),
    Label("6", "借读培训", "Study or training"),
    Label("7", "治病疗养", "Medical treatment"),
    Label("8", "保姆", "Domestic helper"),
    Label("9", "投靠亲友", "Joining relatives or friends"),
    Label("10", "探亲访友", "Visiting relatives or friends"),
    Label("11", "旅游观光", "Tourism"),
    Label("12", "自报来访", "Self-reported visit"),
    Label("13", "在校学生", "Enrolled student"),
    Label("14", "其他", "Other"),
)

# Decision: where the hukou (户籍) is registered, asked on a move-in declaration.
HUKOU_ADDRESS_TYPES: tuple[Label, ...] = (
    Label("guangdong", "广东省内", "Guangdong province"),
    Label("other_province", "外省", "Another province"),
    Label("hk_macao_taiwan", "港澳台", "Hong Kong, Macao or Taiwan"),
    Label("abroad", "国外", "Abroad"),
)

# 文化程度. Talent introduction (人才引进) starts at full-time college (大专) graduates.
EDUCATION_LEVELS: tuple[Label, ...] = (
    Label("doctorate", "博士研究生", "Doctorate"),
    Label("master", "硕士研究生", "Master's degree"),
    Label("bachelor", "大学本科", "Bachelor's degree"),
    Label("associate", "大学专科", "College (associate degree)"),
    Label("vocational", "中专/中技", "Secondary vocational school"),
    Label("high_school", "高中", "Senior high school"),
    Label("junior_high", "初中", "Junior high school"),
    Label("primary", "小学", "Primary school"),
    Label("other", "其他", "Other"),
)

# 同住亲属 relationships on the permit application.
FAMILY_RELATIONS: tuple[Label, ...] = (
    Label("spouse", "配偶", "Spouse"),
    Label("child", "子女", "Child"),
    Label("parent", "父母", "Parent"),
    Label("other", "其他", "Other"),
)


class Ethnicity(NamedTuple):
    """One of the 56 民族 of GB 3304-91: code, Chinese name, official Roman spelling, English name."""

    code: str
    zh: str
    roman: str
    en: str


# In the official order of GB 3304-91; Person.ethnicity stores the two-digit code.
ETHNICITIES: tuple[Ethnicity, ...] = (
    Ethnicity("01", "汉族", "Han", "Han"),
    Ethnicity("02", "蒙古族", "Mongol", "Mongolian"),
    Ethnicity("03", "回族", "Hui", "Hui"),
    Ethnicity("04", "藏族", "Zang", "Tibetan"),
    Ethnicity("05", "维吾尔族", "Uygur", "Uyghur"),
    Ethnicity("06", "苗族", "Miao", "Miao"),
    Ethnicity("07", "彝族", "Yi", "Yi"),
    Ethnicity("08", "壮族", "Zhuang", "Zhuang"),
    Ethnicity("09", "布依族", "Buyei", "Bouyei"),
    Ethnicity("10", "朝鲜族", "Chosen", "Korean"),
    Ethnicity("11", "满族", "Man", "Manchu"),
    Ethnicity("12", "侗族", "Dong", "Dong"),
    Ethnicity("13", "瑶族", "Yao", "Yao"),
    Ethnicity("14", "白族", "Bai", "Bai"),
    Ethnicity("15", "土家族", "Tujia", "Tujia"),
    Ethnicity("16", "哈尼族", "Hani", "Hani"),
    Ethnicity("17", "哈萨克族", "Kazak", "Kazakh"),
    Ethnicity("18", "傣族", "Dai", "Dai"),
    Ethnicity("19", "黎族", "Li", "Li"),
    Ethnicity("20", "傈僳族", "Lisu", "Lisu"),
    Ethnicity("21", "佤族", "Va", "Wa"),
    Ethnicity("22", "畲族", "She", "She"),
    Ethnicity("23", "高山族", "Gaoshan", "Gaoshan"),
    Ethnicity("24", "拉祜族", "Lahu", "Lahu"),
    Ethnicity("25", "水族", "Sui", "Shui"),
    Ethnicity("26", "东乡族", "Dongxiang", "Dongxiang"),
    Ethnicity("27", "纳西族", "Naxi", "Nakhi"),
    Ethnicity("28", "景颇族", "Jingpo", "Jingpo"),
    Ethnicity("29", "柯尔克孜族", "Kirgiz", "Kyrgyz"),
    Ethnicity("30", "土族", "Tu", "Tu"),
    Ethnicity("31", "达斡尔族", "Daur", "Daur"),
    Ethnicity("32", "仫佬族", "Mulao", "Mulao"),
    Ethnicity("33", "羌族", "Qiang", "Qiang"),
    Ethnicity("34", "布朗族", "Blang", "Blang"),
    Ethnicity("35", "撒拉族", "Salar", "Salar"),
    Ethnicity("36", "毛南族", "Maonan", "Maonan"),
    Ethnicity("37", "仡佬族", "Gelao", "Gelao"),
    Ethnicity("38", "锡伯族", "Xibe", "Xibe"),
    Ethnicity("39", "阿昌族", "Achang", "Achang"),
    Ethnicity("40", "普米族", "Pumi", "Pumi"),
    Ethnicity("41", "塔吉克族", "Tajik", "Tajik"),
    Ethnicity("42", "怒族", "Nu", "Nu"),
    Ethnicity("43", "乌孜别克族", "Uzbek", "Uzbek"),
    Ethnicity("44", "俄罗斯族", "Russ", "Russian"),
    Ethnicity("45", "鄂温克族", "Ewenki", "Evenki"),
    Ethnicity("46", "德昂族", "Deang", "De'ang"),
    Ethnicity("47", "保安族", "Bonan", "Bonan"),
    Ethnicity("48", "裕固族", "Yugur", "Yugur"),
    Ethnicity("49", "京族", "Gin", "Gin"),
    Ethnicity("50", "塔塔尔族", "Tatar", "Tatar"),
    Ethnicity("51", "独龙族", "Derung", "Derung"),
    Ethnicity("52", "鄂伦春族", "Oroqen", "Oroqen"),
    Ethnicity("53", "赫哲族", "Hezhen", "Hezhen"),
    Ethnicity("54", "门巴族", "Monba", "Monba"),
    Ethnicity("55", "珞巴族", "Lhoba", "Lhoba"),
    Ethnicity("56", "基诺族", "Jino", "Jino"),
)

# --- Accounts and sessions, DOMAIN §2 ---------------------------------------------------------------

# 5 wrong passwords within 15 minutes lock the account for 15 minutes (OWASP ASVS 2.2.1).
LOGIN_FAILURES_BEFORE_LOCK = 5
LOGIN_FAILURE_WINDOW_MINUTES = 15
LOGIN_LOCK_MINUTES = 15
# Password attempts per network address, counted before any password is hashed (argon2id is slow).
LOGIN_ATTEMPTS_PER_IP = 30
LOGIN_ATTEMPTS_WINDOW_SECONDS = 600
# A session ends after 30 idle minutes (a warning 2 minutes before) and in any case after 12 hours.
SESSION_IDLE_MINUTES = 30
SESSION_IDLE_WARNING_MINUTES = 2
SESSION_ABSOLUTE_HOURS = 12
# 记住密码: a device token that spares the password on that device, for 30 days, rotated at each use.
DEVICE_TOKEN_DAYS = 30
PASSWORD_MIN_LENGTH = 8
