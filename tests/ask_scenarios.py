"""Scripted `xisai ask` sessions: each step is (text of the prompt, the answer typed).

The same script drives a pipe (the answers on stdin) and a pseudo-terminal (each
prompt awaited, then its answer sent). `problems` are the refusals the wrong answers
must get; `absent` are questions the rules make moot, which must not be asked."""
from __future__ import annotations

from dataclasses import dataclass, field

SAVE = "{save}"  # replaced by the file name the test saves to


@dataclass(frozen=True)
class Scenario:
    name: str
    lang: str | None                 # None: the default (zh_CN)
    as_of: str
    steps: list[tuple[str, str]]
    problems: list[str]
    absent: list[str]
    cash: str                        # the decision's totals.cash
    programs: dict[str, str] = field(default_factory=dict)   # program -> its cash summed over years


TALENT = Scenario(
    name="talent",
    lang=None,
    as_of="2025-06-30",
    steps=[
        ("是否有人员", "y"),
        ("编号", ""),
        ("是否还有人员", "n"),
        ("是否有企业", "n"),
        ("是否有送工机构", "n"),
        ("已在西塞山区落户或就业？", "是"),
        ("是否有人才认定", "y"),
        ("人才类别", "2"),
        ("人才认定日期", "2023-02-30"),        # no such day
        ("人才认定日期", "2023年9月1日"),
        ("核定月补贴标准", "-100"),             # negative
        ("核定月补贴标准", "3000"),             # above the clause's 2000
        ("核定月补贴标准", "1,500.00"),
        ("是否有购房", "y"),
        ("购房日期", "2024/3/1"),
        ("购房总金额", "86万"),
        ("所购住房在西塞山区", "y"),
        ("是首套住房", "y"),
        ("将答案保存为案件文件吗", SAVE),
    ],
    problems=["✗ 2023-02-30不是有效日期", "✗ 不能为负数", "✗ 3000超出条款规定的范围(0, 2000]"],
    absent=["人才公寓", "适龄入学子女", "高管"],   # no employer in the case: nothing employer-bound is asked
    cash="254000.00",
    programs={"talent.living_allowance": "54000.00", "talent.housing_subsidy": "200000.00"},
)

FOUNDER = Scenario(
    name="founder",
    lang="en",
    as_of="2025-06-30",
    steps=[
        ("Any persons", "y"),
        ("Id", ""),
        ("More persons", "n"),
        ("Any enterprises", "y"),
        ("Id", ""),
        ("More enterprises", "n"),
        ("Any placement agencies", "n"),
        ("Registered in Xisaishan District?", "y"),
        ("Ownership", "private"),
        ("Founding date", "2022-03-01"),
        ("Founders", "1"),
        ("Settled in, or working in, Xisaishan District?", "n"),
        ("Has children of school age?", "n"),
        ("Employer", ""),
        ("Any talent recognition", "y"),
        ("Talent category", "1"),
        ("Date of recognition as a talent", "15.3.2022"),   # not a form read: re-asked
        ("Date of recognition as a talent", "2022-03-15"),
        ("Any office or factory space", "n"),
        ("Any land purchases", "n"),
        ("Any incubation platform", "n"),
        ("Any district-retained tax", "y"),
        ("Year", "2022"),
        ("District-retained tax of that year", "1,200,000.00"),
        ("More district-retained tax", "y"),
        ("Year", "2023"),
        ("District-retained tax of that year", "3万"),
        ("More district-retained tax", "n"),
        ("Any loans", "y"),
        ("Year the interest was paid", "2023"),
        ("Lender", "1"),
        ("Interest paid", "80000"),
        ("More loans", "y"),
        ("Year the interest was paid", "2026"),        # after as_of
        ("Year the interest was paid", "2024"),
        ("Lender", "bank"),
        ("Interest paid", "-3"),                       # negative
        ("Interest paid", "10000"),
        ("More loans", "n"),
        ("Any new technologies", "n"),
        ("Any trademark recognitions", "n"),
        ("Any quality awards", "n"),
        ("Any standards", "n"),
        ("Any listings", "n"),
        ("Any interns", "n"),
        ("Any hires of registered poor persons", "n"),
        ("Save the answers", SAVE),
    ],
    problems=["✗ must be a date written YYYY-MM-DD", "✗ year 2026 is after the year of as_of (2025-06-30)", "✗ must not be negative"],
    absent=["Any home purchase", "Approved monthly allowance"],   # not settled: both programs need it
    cash="1297500.00",
    programs={"enterprise.tax_reward": "1230000.00", "enterprise.loan_interest": "67500.00"},
)

AGENCY = Scenario(
    name="agency",
    lang="zh_CN",
    as_of="2025-06-30",
    steps=[
        ("是否有人员", "n"),
        ("是否有企业", "n"),
        ("是否有送工机构", "y"),
        ("编号", "A1"),
        ("是否还有送工机构", "n"),
        ("是否有输送人员", "y"),
        ("输送日期", "2023-03-01"),
        ("已工作月数", "8"),
        ("接收单位性质", "1"),
        ("接收单位在西塞山区", "y"),
        ("是否还有输送人员", "y"),
        ("输送日期", "2024年13月1日"),          # no such month
        ("输送日期", "2024-02-01"),
        ("已工作月数", "3.5"),                  # not a whole number
        ("已工作月数", "3"),
        ("接收单位性质", "9"),                  # no such choice
        ("接收单位性质", "国有"),               # by its label
        ("接收单位在西塞山区", "是"),
        ("是否还有输送人员", "n"),
        ("将答案保存为案件文件吗", SAVE),
    ],
    problems=["✗ 2024-13-01不是有效日期", "✗ 须为整数", "✗ 请输入1到5之间的序号，或选项名称"],
    absent=["机构类型"],   # no rule reads an agency's kind
    cash="1000.00",
    programs={"employment.placement_agency": "1000.00"},
)

SCENARIOS = [TALENT, FOUNDER, AGENCY]
