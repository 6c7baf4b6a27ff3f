"""Code lists of employment assistance (domain.md §3)."""

from django.db import models


class Status(models.TextChoices):
    EMPLOYED = "employed", "已就业"
    UNEMPLOYED = "unemployed", "未就业"
    NOT_SEEKING = "not_seeking", "暂无就业意愿"


class NotSeekingReason(models.TextChoices):
    CARING = "caring", "照料家庭"
    FARMING_ONLY = "farming_only", "只务农"
    STUDYING = "studying", "在读在训"
    ILL = "ill", "患病"
    OTHER = "other", "其他"


class Form(models.TextChoices):
    COMPANY = "company", "企业务工"
    WORKSHOP = "workshop", "扶贫车间"
    PUBLIC_WELFARE = "public_welfare", "公益性岗位"
    STARTUP = "startup", "自主创业"
    FLEXIBLE = "flexible", "灵活就业"
    FARMING = "farming", "务农"


class LocationTier(models.TextChoices):
    """Labels for a municipality (Chongqing: 区内 / 市内区外 / 市外) are in MUNICIPALITY_LABELS."""

    IN_TOWNSHIP = "in_township", "乡镇内"
    IN_COUNTY = "in_county", "乡镇外县内"
    IN_PROVINCE = "in_province", "县外省内"
    OUT_OF_PROVINCE = "out_of_province", "省外"


MUNICIPALITY_PROVINCES = {"11", "12", "31", "50"}
MUNICIPALITY_LABELS = {
    LocationTier.IN_TOWNSHIP: "乡镇内",
    LocationTier.IN_COUNTY: "区内乡镇外",
    LocationTier.IN_PROVINCE: "市内区外",
    LocationTier.OUT_OF_PROVINCE: "市外",
}


def tier_label(tier: str, home_code: str) -> str:
    """区内/市内区外/市外 in a municipality, the national labels elsewhere."""
    if home_code[:2] in MUNICIPALITY_PROVINCES:
        return MUNICIPALITY_LABELS.get(tier, "")
    return LocationTier(tier).label if tier else ""


class Channel(models.TextChoices):
    GOVERNMENT = "government", "政府组织"
    ENTERPRISE = "enterprise", "企业招聘"
    SELF = "self", "亲友介绍/自发"
    COOPERATION = "cooperation", "劳务协作"


class ServiceType(models.TextChoices):
    POLICY = "policy", "政策宣传"
    JOB_PUSH = "job_push", "岗位推送"
    GUIDANCE = "guidance", "职业指导"
    REFERRAL = "referral", "职业介绍"
    TRAINING = "training", "技能培训"


class ServiceNeed(models.TextChoices):
    GUIDANCE = "guidance", "职业指导"
    REFERRAL = "referral", "职业介绍"
    TRAINING = "training", "技能培训"
    STARTUP = "startup", "创业服务"
    POLICY = "policy", "政策咨询"


class Trade(models.TextChoices):
    """GB/T 4754-2017 sections."""

    A = "A", "农、林、牧、渔业"
    B = "B", "采矿业"
    C = "C", "制造业"
    D = "D", "电力、热力、燃气及水生产和供应业"
    E = "E", "建筑业"
    F = "F", "批发和零售业"
    G = "G", "交通运输、仓储和邮政业"
    H = "H", "住宿和餐饮业"
    I = "I", "信息传输、软件和信息技术服务业"  # noqa: E741
    J = "J", "金融业"
    K = "K", "房地产业"
    L = "L", "租赁和商务服务业"
    M = "M", "科学研究和技术服务业"
    N = "N", "水利、环境和公共设施管理业"
    O = "O", "居民服务、修理和其他服务业"  # noqa: E741
    P = "P", "教育"
    Q = "Q", "卫生和社会工作"
    R = "R", "文化、体育和娱乐业"
    S = "S", "公共管理、社会保障和社会组织"
    T = "T", "国际组织"


class JobSource(models.TextChoices):
    LOCAL = "local", "本地企业"
    WORKSHOP = "workshop", "扶贫车间"
    PUBLIC_WELFARE = "public_welfare", "公益性岗位"
    PARTNER = "partner", "劳务协作"


class JobStatus(models.TextChoices):
    OPEN = "open", "招聘中"
    FILLED = "filled", "已招满"
    CLOSED = "closed", "已结束"


class PhysicalDemand(models.TextChoices):
    LIGHT = "light", "轻体力"
    MEDIUM = "medium", "中等体力"
    HEAVY = "heavy", "重体力"


class EventMode(models.TextChoices):
    ONLINE = "online", "线上"
    ONSITE = "onsite", "现场"


class PostType(models.TextChoices):
    CLEANING = "cleaning", "保洁"
    FOREST_RANGER = "forest_ranger", "护林员"
    ROAD_CARE = "road_care", "道路养护"
    SOCIAL_SECURITY = "social_security", "社保协理"
    SECURITY = "security", "治安巡逻"
    WATER = "water", "水利设施管护"
    ELDER_CARE = "elder_care", "养老服务"
    OTHER = "other", "其他"


class Funding(models.TextChoices):
    CENTRAL = "central", "中央财政"
    MUNICIPAL = "municipal", "市级财政"
    DISTRICT = "district", "区县财政"
    PARTNER = "partner", "东西部协作资金"


class LoanStatus(models.TextChoices):
    APPLIED = "applied", "已申请"
    GRANTED = "granted", "已放款"
    REPAID = "repaid", "已还清"
    OVERDUE = "overdue", "逾期"


class TrainingType(models.TextChoices):
    SKILLS = "skills", "就业技能培训"
    STARTUP = "startup", "创业培训"
    ADAPTIVE = "adaptive", "就业适应性培训"
    WORK_BASED = "work_based", "以工代训"


class ExportMode(models.TextChoices):
    BUS = "bus", "专车"
    FLIGHT = "flight", "专机"
    CHARTER = "charter", "包机"
    TRAIN = "train", "火车"
