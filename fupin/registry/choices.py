"""National code lists of the registry (domain.md §2): English identifiers, the labels
users know. Imports accept either."""

from django.db import models


class Relation(models.TextChoices):
    HEAD = "head", "户主"
    SPOUSE = "spouse", "配偶"
    SON = "son", "之子"
    DAUGHTER = "daughter", "之女"
    DAUGHTER_IN_LAW = "daughter_in_law", "之儿媳"
    SON_IN_LAW = "son_in_law", "之女婿"
    GRANDSON = "grandson", "之孙子"
    GRANDDAUGHTER = "granddaughter", "之孙女"
    DAUGHTERS_SON = "daughters_son", "之外孙子"
    DAUGHTERS_DAUGHTER = "daughters_daughter", "之外孙女"
    FATHER = "father", "之父"
    MOTHER = "mother", "之母"
    WIFES_FATHER = "wifes_father", "之岳父"
    WIFES_MOTHER = "wifes_mother", "之岳母"
    HUSBANDS_FATHER = "husbands_father", "之公公"
    HUSBANDS_MOTHER = "husbands_mother", "之婆婆"
    GRANDFATHER = "grandfather", "之祖父"
    GRANDMOTHER = "grandmother", "之祖母"
    SIBLING = "sibling", "之兄弟姐妹"
    OTHER = "other", "其他"


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Education(models.TextChoices):
    PRESCHOOL = "preschool", "学龄前儿童"
    ILLITERATE = "illiterate", "文盲或半文盲"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    VOCATIONAL = "vocational", "中专(中职)"
    COLLEGE = "college", "大专及以上"


class SchoolStatus(models.TextChoices):
    NOT_IN_SCHOOL = "none", "非在校生"
    PRESCHOOL = "preschool", "学前教育"
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中职"
    HIGHER_VOCATIONAL = "higher_vocational", "高职高专"
    UNDERGRADUATE = "undergraduate", "本科及以上"


class Health(models.TextChoices):
    HEALTHY = "healthy", "健康"
    CHRONIC = "chronic", "长期慢性病"
    SERIOUS = "serious", "患有大病"
    DISABLED = "disabled", "残疾"


class DisabilityGrade(models.TextChoices):
    GRADE_1 = "1", "一级"
    GRADE_2 = "2", "二级"
    GRADE_3 = "3", "三级"
    GRADE_4 = "4", "四级"


class LaborAbility(models.TextChoices):
    ORDINARY = "ordinary", "普通劳动力"
    SKILLED = "skilled", "技能劳动力"
    WEAK = "weak", "弱劳动力或半劳动力"
    LOST = "lost", "丧失劳动力"
    NONE = "none", "无劳动力"


class HouseholdType(models.TextChoices):
    ORDINARY_POOR = "ordinary_poor", "一般贫困户"
    SUBSISTENCE_POOR = "subsistence_poor", "低保贫困户"
    EXTREME_POOR = "extreme_poor", "特困供养贫困户"
    ORDINARY_FARMER = "ordinary_farmer", "一般农户"


class HouseholdStatus(models.TextChoices):
    NOT_EXITED = "not_exited", "未脱贫"
    EXITED = "exited", "已脱贫"


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", "因病"
    DISABILITY = "disability", "因残"
    SCHOOLING = "schooling", "因学"
    DISASTER = "disaster", "因灾"
    LACK_LAND = "lack_land", "缺土地"
    LACK_WATER = "lack_water", "缺水"
    LACK_SKILLS = "lack_skills", "缺技术"
    LACK_LABOR = "lack_labor", "缺劳力"
    LACK_FUNDS = "lack_funds", "缺资金"
    POOR_TRANSPORT = "poor_transport", "交通条件落后"
    LACK_MOTIVATION = "lack_motivation", "自身发展动力不足"


class RemovalReason(models.TextChoices):
    DEATH = "death", "死亡"
    MARRIED_OUT = "married_out", "婚出"
    MOVED_OUT = "moved_out", "户口迁出"
    ENLISTED = "enlisted", "服兵役"
    OTHER = "other", "其他"


_ETHNIC_NAMES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()

# GB/T 3304 codes: 01 汉族 … 56 基诺族, 97 其他, 98 外国血统中国籍人士.
ETHNICITY_CHOICES = [(f"{i:02d}", name) for i, name in enumerate(_ETHNIC_NAMES, 1)] + [
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]
ETHNICITY_LABELS = dict(ETHNICITY_CHOICES)

ASSURANCE_FIELDS = {
    "assured_food": "不愁吃",
    "assured_clothing": "不愁穿",
    "assured_education": "义务教育有保障",
    "assured_medical": "基本医疗有保障",
    "assured_housing": "住房安全有保障",
    "assured_water": "饮水安全有保障",
}
