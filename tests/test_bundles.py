"""Rules bundles: exported content-addressed, opened only when every byte checks, never
anything but rule files and catalogs; and the diff between two sets of rules."""
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from xisai.cli.main import main
from xisai.engine.bundles import BundleError, bundle_name, export_bundle, open_bundle, opened
from xisai.engine.evaluate import Engine
from xisai.engine.rules_diff import rules_diff


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return export_bundle(tmp_path_factory.mktemp("bundle")).path


def changed_rules(tmp_path: Path) -> Path:
    """A copy of rules/ with the provincial quality award at 350,000 instead of 300,000."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    path = rules / "programs" / "brand.quality_award.toml"
    text = path.read_text(encoding="utf-8")
    assert 'provincial = "300000"' in text
    path.write_text(text.replace('provincial = "300000"', 'provincial = "350000"'), encoding="utf-8")
    return rules


def rewrite(src: Path, dest: Path, change) -> Path:
    """A copy of a bundle with `change(name, data) -> (name, data) | None` applied to each member."""
    with tarfile.open(src) as tar, tarfile.open(dest, "w", format=tarfile.USTAR_FORMAT) as out:
        for member in tar:
            data = tar.extractfile(member).read()
            changed = change(member.name, data)
            if changed is None:
                continue
            info = tarfile.TarInfo(changed[0])
            info.size = len(changed[1])
            out.addfile(info, io.BytesIO(changed[1]))
    return dest


def test_export_is_named_by_the_rules_version_and_deterministic(engine, bundle, tmp_path):
    assert bundle.name == bundle_name(engine.rules_version)
    again = export_bundle(tmp_path)
    assert again.path.read_bytes() == bundle.read_bytes() and again.created
    assert not export_bundle(tmp_path).created  # an identical bundle is kept
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
    assert names[0] == "MANIFEST.json"
    assert "rules/programs/brand.quality_award.toml" in names
    assert {"catalogs/en/LC_MESSAGES/xisai.po", "catalogs/zh_CN/LC_MESSAGES/xisai.po"} <= set(names)
    assert not [n for n in names if not n.endswith((".toml", ".po", ".json"))]


def test_an_opened_bundle_loads_the_same_rules(engine, bundle):
    with opened(bundle, expect_version=engine.rules_version) as b:
        assert b.rules_version == engine.rules_version
        assert Engine(b.rules_dir).rules_version == engine.rules_version
        assert (b.catalogs_dir / "en" / "LC_MESSAGES" / "xisai.po").is_file()


def test_a_bundle_of_other_rules_is_refused_under_this_rules_version(engine, bundle, tmp_path):
    other = export_bundle(tmp_path / "other", changed_rules(tmp_path)).path
    with pytest.raises(BundleError, match="hash to"):
        open_bundle(other, tmp_path / "x", expect_version=engine.rules_version)


def test_a_member_that_does_not_match_the_manifest_is_refused(bundle, tmp_path):
    bad = rewrite(bundle, tmp_path / bundle.name, lambda n, d: (n, d.replace(b'"300000"', b'"350000"')))
    with pytest.raises(BundleError, match="does not match its hash"):
        open_bundle(bad, tmp_path / "x")


def test_a_bundle_whose_content_does_not_hash_to_its_name_is_refused(bundle, tmp_path):
    """Rule file and manifest both rewritten consistently: the name still gives it away."""
    rules = changed_rules(tmp_path)
    forged = export_bundle(tmp_path / "forged", rules).path
    renamed = tmp_path / bundle.name
    shutil.copy(forged, renamed)
    with pytest.raises(BundleError, match="not to the name"):
        open_bundle(renamed, tmp_path / "x")


@pytest.mark.parametrize("name", ["../evil.toml", "rules/../../evil.toml", "/etc/evil.toml", "rules/evil.py",
                                  "rules\\evil.toml", "rules//x.toml"])
def test_members_outside_the_bundle_or_not_rules_are_refused(bundle, tmp_path, name):
    def add(n, d):
        return (n, d)
    bad = rewrite(bundle, tmp_path / "b.tar", add)
    with tarfile.open(bad, "a") as tar:
        info = tarfile.TarInfo(name)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"x\n"))
    with pytest.raises(BundleError):
        open_bundle(bad, tmp_path / "x")
    assert not (tmp_path / "evil.toml").exists() and not (tmp_path / "x").exists()


def test_links_and_oversized_members_are_refused(bundle, tmp_path):
    for i, info in enumerate([tarfile.TarInfo("rules/link.toml"), tarfile.TarInfo("rules/big.toml")]):
        path = rewrite(bundle, tmp_path / f"b{i}.tar", lambda n, d: (n, d))
        with tarfile.open(path, "a") as tar:
            if i == 0:
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                tar.addfile(info)
            else:
                info.size = (1 << 20) + 1
                tar.addfile(info, io.BytesIO(b"#" * info.size))
        with pytest.raises(BundleError, match="regular file|larger"):
            open_bundle(path, tmp_path / f"x{i}")


# --- rules diff ------------------------------------------------------------------------

def test_rules_diff_names_the_changed_dated_row(bundle, tmp_path):
    rules = changed_rules(tmp_path)
    data = rules_diff(str(bundle), str(rules))
    assert data["changes"] == [{
        "area": "row", "change": "changed", "program": "brand.quality_award", "name": "amounts", "field": "value",
        "from": "2021-12-25", "old": {"national": "500000", "provincial": "300000", "municipal": "100000"},
        "new": {"national": "500000", "provincial": "350000", "municipal": "100000"}}]
    assert rules_diff("current", str(bundle))["changes"] == []


def test_rules_diff_lists_programs_rows_conditions_texts_and_catalogs(tmp_path):
    root = tmp_path / "b"
    shutil.copytree(ROOT / "rules", root / "rules")
    shutil.copytree(ROOT / "catalogs", root / "catalogs")
    (root / "rules" / "programs" / "listing.award.toml").unlink()
    wage = root / "rules" / "parameters" / "minimum_wage.toml"
    wage.write_text(wage.read_text(encoding="utf-8").replace("provisional = true, note.zh", "provisional = false, note.zh", 1),
                    encoding="utf-8")
    award = root / "rules" / "programs" / "brand.quality_award.toml"
    award.write_text(award.read_text(encoding="utf-8").replace("企业须在西塞山区注册", "企业须在西塞山区注册登记"), encoding="utf-8")
    po = root / "catalogs" / "en" / "LC_MESSAGES" / "xisai.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "not valid JSON (', 'msgstr "not JSON ('), encoding="utf-8")
    changes = rules_diff("current", str(root))["changes"]
    found = {(c["area"], c["change"], c["program"], c["name"], c["field"], c["from"]) for c in changes}
    assert found == {
        ("program", "removed", "listing.award", None, "kind", None),
        ("row", "changed", "tables", "minimum_wage", "provisional", "2024-02-01"),
        ("text", "changed", "brand.quality_award", "registered", "text", None),
        ("catalog", "changed", None, "error.json", "en", None),
    }


def test_rules_export_and_diff_on_the_command_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["rules", "export", "-o", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)
    assert Path(exported["path"]).name == bundle_name(exported["rules_version"])
    result = runner.invoke(main, ["rules", "diff", exported["path"], str(changed_rules(tmp_path)), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "brand.quality_award" in result.output and "provincial=350000" in result.output


def test_a_bundle_repacked_with_folder_entries_opens(engine, bundle, tmp_path):
    with opened(bundle) as b:
        repacked = tmp_path / bundle.name
        with tarfile.open(bundle) as src:
            manifest = src.extractfile("MANIFEST.json").read()
        (b.root / "MANIFEST.json").write_bytes(manifest)
        with tarfile.open(repacked, "w") as tar:
            for name in ("MANIFEST.json", "rules", "catalogs"):
                tar.add(b.root / name, arcname=name)
    with opened(repacked, expect_version=engine.rules_version) as again:
        assert again.rules_version == engine.rules_version


def clashing_bundle(src: Path, dest: Path) -> Path:
    """A copy of a bundle, its manifest rewritten to list `rules/a.toml` and
    `rules/a.toml/b.toml`: one member is a file where another needs a folder."""
    from xisai.engine.canonical import canonical_bytes, parse, sha256_hex
    with tarfile.open(src) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    members["rules/a.toml"] = members["rules/a.toml/b.toml"] = b"# x\n"
    manifest = parse(members["MANIFEST.json"])
    manifest["files"] = {n: sha256_hex(d) for n, d in sorted(members.items()) if n != "MANIFEST.json"}
    members["MANIFEST.json"] = canonical_bytes(manifest)
    with tarfile.open(dest, "w", format=tarfile.USTAR_FORMAT) as out:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return dest


def test_a_member_that_is_the_folder_of_another_is_refused_and_replay_goes_on(bundle, tmp_path):
    with pytest.raises(BundleError, match="file and a folder"):
        open_bundle(clashing_bundle(bundle, tmp_path / "clash.tar"), tmp_path / "x")
    from xisai.engine.record_writer import record_cases
    from xisai.engine.replay import EXIT_INCOMPLETE, NO_BUNDLE, Options, replay
    rules = changed_rules(tmp_path)
    out = tmp_path / "records" / "r.jsonl"
    out.parent.mkdir()
    record_cases(Engine(rules), [(ROOT / "cases" / "11-brand-awards.json").read_bytes().replace(b"\n", b" ")], out,
                 rules_dir=rules, bundle_dir=tmp_path / "kept")
    real = next((tmp_path / "kept").glob("*.tar"))
    clashing_bundle(real, out.parent / real.name)
    report = replay(out, Options())
    assert report.counts == {NO_BUNDLE: 1} and report.exit_code == EXIT_INCOMPLETE
    assert "file and a folder" in report.rules["versions"][parse_version(out)]["refused"][0]


def parse_version(path: Path) -> str:
    return json.loads(path.read_bytes())["rules_version"]


@pytest.mark.parametrize("version", ["sha256:*", "sha256:" + "?" * 64, "sha256:../../" + "a" * 58, "sha256:" + "A" * 64])
def test_a_rules_version_that_is_not_one_finds_no_bundle(bundle, version):
    assert export_bundle(bundle.parent).path == bundle  # the folder holds a bundle a glob would find
    from xisai.engine.bundles import candidates
    assert candidates(version, [bundle.parent]) == []
