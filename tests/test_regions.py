"""`fupin regions load`: the bundled Chongqing set, NBS-format files (.csv and .csv.gz),
bad input, and the national files when ../shared is present."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fupin.regions.models import Region

pytestmark = pytest.mark.django_db

SHARED_REGIONS = Path("/work/shared/data/regions")

# The NBS layout: one file per level, code,name first, parent codes after.
FILES = {
    "provinces.csv": "code,name\n99,测试省\n",
    "cities.csv": "code,name,provinceCode\n9901,测试市,99\n9902,另一市,99\n",
    "areas.csv": "code,name,cityCode,provinceCode\n990101,测试区,9901,99\n",
    "streets.csv": (
        "code,name,areaCode,provinceCode,cityCode\n990101001,测试街道,990101,99,9901\n"
        "990101002,测试镇,990101,99,9901\n"
    ),
    "villages.csv": (
        "code,name,streetCode,provinceCode,cityCode,areaCode\n"
        '990101001001,"东门社区居民委员会",990101001,99,9901,990101\n'
        '990101001201,"白马村村民委员会",990101001,99,9901,990101\n'
        '990101002201,"石桥村村民委员会",990101002,99,9901,990101\n'
    ),
}


def write_files(directory: Path, files: dict[str, str] = FILES) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = directory / name
        if name.endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as handle:
                handle.write(text)
        else:
            path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def load(*paths: Path | str) -> dict[str, float]:
    out = io.StringIO()
    call_command("regions", "load", *map(str, paths), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_bundled_load_is_idempotent():
    before = Region.objects.count()
    villages = Region.objects.filter(level=Region.Level.VILLAGE).count()
    assert before > 10_000 and villages > 8_000
    result = load()
    assert result["regions"] == before
    assert Region.objects.count() == before
    assert Region.objects.filter(level=Region.Level.VILLAGE).count() == villages


def test_bundled_fengshan_village():
    village = Region.objects.get(code="500156001201")
    assert village.parent_id == "500156001"
    assert village.level == Region.Level.VILLAGE == 5
    assert village.name.endswith("村民委员会")
    assert village.short_name == "凤山村"
    assert "村民委员会" not in village.short_name
    assert village.full_name == "武隆区凤山街道凤山村"
    township = village.parent
    assert township.level == Region.Level.TOWNSHIP
    assert township.parent_id == "500156"
    assert township.parent.parent_id == "5001"
    assert township.parent.parent.parent_id == "50"
    assert township.parent.parent.parent.parent_id is None


def test_bundled_wulong_has_its_townships_and_villages():
    wulong = Region.objects.get(code="500156")
    assert wulong.name == "武隆区"
    assert wulong.children.filter(level=Region.Level.TOWNSHIP).count() == 26
    assert (
        Region.objects.filter(code__startswith="500156", level=Region.Level.VILLAGE).count() == 214
    )


def test_load_small_csv_set(tmp_path):
    result = load(*write_files(tmp_path))
    assert result["regions"] == 9
    loaded = {r.code: r for r in Region.objects.filter(code__startswith="99")}
    assert len(loaded) == 9
    expected = {
        "99": (1, None),
        "9901": (2, "99"),
        "9902": (2, "99"),
        "990101": (3, "9901"),
        "990101001": (4, "990101"),
        "990101002": (4, "990101"),
        "990101001001": (5, "990101001"),
        "990101001201": (5, "990101001"),
        "990101002201": (5, "990101002"),
    }
    assert {code: (r.level, r.parent_id) for code, r in loaded.items()} == expected
    village = loaded["990101001201"]
    assert village.name == "白马村村民委员会"
    assert village.short_name == "白马村"
    assert village.full_name == "测试区测试街道白马村"
    assert loaded["990101001001"].short_name == "东门社区"


def test_reload_updates_names_without_duplicates(tmp_path):
    load(*write_files(tmp_path))
    renamed = dict(FILES)
    renamed["streets.csv"] = FILES["streets.csv"].replace("测试街道", "新名街道")
    (tmp_path / "again").mkdir()
    load(*write_files(tmp_path / "again", renamed))
    assert Region.objects.filter(code__startswith="99").count() == 9
    assert Region.objects.get(code="990101001").name == "新名街道"
    assert Region.objects.get(code="990101001201").parent_id == "990101001"


def test_load_levels_in_separate_runs_links_parents(tmp_path):
    paths = write_files(tmp_path)
    for path in paths:  # one file per run, top-down
        load(path)
    assert Region.objects.get(code="990101001201").parent_id == "990101001"
    assert Region.objects.get(code="9901").parent_id == "99"


def test_load_levels_bottom_up_links_parents(tmp_path):
    for path in reversed(write_files(tmp_path)):  # villages first, provinces last
        load(path)
    assert Region.objects.get(code="990101001201").parent_id == "990101001"
    assert Region.objects.get(code="990101").parent_id == "9901"
    assert Region.objects.get(code="9901").parent_id == "99"


def test_load_gzipped_csv(tmp_path):
    files = dict(FILES)
    files["villages.csv.gz"] = files.pop("villages.csv")
    paths = write_files(tmp_path, files)
    assert paths[-1].name == "villages.csv.gz"
    assert load(*paths)["regions"] == 9
    village = Region.objects.get(code="990101002201")
    assert village.parent_id == "990101002"
    assert village.short_name == "石桥村"


def test_load_file_with_utf8_bom(tmp_path):
    path = tmp_path / "provinces.csv"
    path.write_bytes("\ufeffcode,name\n99,测试省\n".encode())
    load(path)
    assert Region.objects.get(code="99").name == "测试省"


@pytest.mark.parametrize("header", ["id,title", "名称,代码", "name,code"])
def test_bad_header_is_a_command_error(tmp_path, header):
    path = tmp_path / "provinces.csv"
    path.write_text(f"{header}\n99,测试省\n", encoding="utf-8")
    with pytest.raises(CommandError, match="首行应为 code,name"):
        load(path)
    assert not Region.objects.filter(code="99").exists()


def test_one_column_header_is_a_command_error(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code\n99\n", encoding="utf-8")
    with pytest.raises(CommandError, match="首行应为 code,name"):
        load(path)


def test_empty_file_is_a_command_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CommandError):
        load(path)


@pytest.mark.parametrize("bad_code", ["9901011", "99010100120", "99a1"])
def test_code_of_wrong_length_writes_nothing(tmp_path, bad_code):
    paths = write_files(tmp_path)
    bad = tmp_path / "extra.csv"
    bad.write_text(f"code,name\n{bad_code},坏代码\n", encoding="utf-8")
    before = Region.objects.count()
    with pytest.raises(CommandError, match=bad_code):
        load(*paths, bad)
    assert Region.objects.count() == before
    assert not Region.objects.filter(code__startswith="99").exists()


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        load(tmp_path / "nope.csv")


def test_not_utf8_is_a_command_error(tmp_path):
    path = tmp_path / "provinces.csv"
    path.write_bytes("code,name\n99,测试省\n".encode("gbk"))
    with pytest.raises(CommandError):
        load(path)
    assert not Region.objects.filter(code="99").exists()


def test_shared_national_provinces():
    path = SHARED_REGIONS / "provinces.csv"
    if not path.exists():
        pytest.skip("../shared/data/regions is not present")
    count = load(path)["regions"]
    assert count >= 31
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() >= 31
    assert Region.objects.get(code="11").name == "北京市"
    assert Region.objects.get(code="50").name == "重庆市"
    # The Chongqing tree under it is untouched.
    assert Region.objects.get(code="500156001201").parent_id == "500156001"
