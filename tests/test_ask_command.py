"""`xisai ask` from a pipe and in a pseudo-terminal: a talent, an enterprise founder
and an agency, wrong answers re-asked with the reason, moot questions not asked, and
the saved case giving, under `xisai check`, exactly the decision the session showed."""
import json
import os
import re
import subprocess
from decimal import Decimal

import pexpect
import pytest
from ask_scenarios import SAVE, SCENARIOS, TALENT
from conftest import xisai

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ENV = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES", "XISAI_LANG", "COLUMNS")}


def args(scenario):
    return ["ask", "--as-of", scenario.as_of] + (["--lang", scenario.lang] if scenario.lang else [])


def answers(scenario, save):
    return [answer.replace(SAVE, str(save)) for _, answer in scenario.steps]


def check_json(path):
    done = subprocess.run(xisai() + ["check", str(path), "--json"], capture_output=True, text=True, encoding="utf-8",
                          env=ENV, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def assert_decision(decision, scenario):
    assert decision["status"] == "ok"
    assert decision["totals"]["cash"] == scenario.cash
    for program, amount in scenario.programs.items():
        got = sum((Decimal(p["amount"]) for p in decision["payouts"] if p["program"] == program and p["amount"]), Decimal(0))
        assert got == Decimal(amount), program


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_ask_from_a_pipe(tmp_path, scenario):
    save = tmp_path / "case.json"
    done = subprocess.run(xisai() + args(scenario), input="\n".join(answers(scenario, save)) + "\n",
                          capture_output=True, text=True, encoding="utf-8", env=ENV, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    out = done.stdout
    assert "\x1b[" not in out
    questions = out[: out.index("—— 评估结果 ——" if scenario.lang != "en" else "—— The result ——")]
    for prompt, answer in scenario.steps[:-1]:   # every prompt, with the answer after it
        assert prompt in questions and answer in questions
    for problem in scenario.problems:
        assert problem in questions
    for moot in scenario.absent:
        assert moot not in questions
    # the view shown is the view `xisai check` gives for the saved case, byte for byte
    view = subprocess.run(xisai() + ["check", str(save)] + (["--lang", scenario.lang] if scenario.lang else []),
                          capture_output=True, text=True, encoding="utf-8", env=ENV, check=False).stdout
    assert view.strip() and view in out
    assert_decision(check_json(save), scenario)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_ask_in_a_terminal(tmp_path, scenario):
    save = tmp_path / "case.json"
    child = pexpect.spawn(xisai()[0], args(scenario), env=ENV, encoding="utf-8", timeout=30, dimensions=(50, 250))
    child.delaybeforesend = None
    try:
        for (prompt, _), answer in zip(scenario.steps, answers(scenario, save), strict=True):
            child.expect_exact(prompt)
            child.sendline(answer)
        child.expect_exact(str(save))   # "saved to <file>"
        child.expect(pexpect.EOF)
    finally:
        child.close()
    transcript = ANSI.sub("", child.before or "")
    assert child.exitstatus == 0, transcript[-2000:]
    assert_decision(check_json(save), scenario)


def test_a_terminal_gets_colour_and_the_refusals(tmp_path):
    child = pexpect.spawn(xisai()[0], args(TALENT), env=ENV, encoding="utf-8", timeout=30, dimensions=(50, 250))
    child.delaybeforesend = None
    seen = []
    try:
        for prompt, answer in TALENT.steps[:13]:
            child.expect_exact(prompt)
            seen.append(child.before + child.after)
            child.sendline(answer)
        child.expect_exact("是否有购房")
        seen.append(child.before)
    finally:
        child.close(force=True)
    raw = "".join(seen)
    assert "\x1b[" in raw   # rich prompts in a terminal
    plain = ANSI.sub("", raw)
    for problem in TALENT.problems:
        assert problem in plain


def test_the_language_comes_from_the_environment():
    done = subprocess.run(xisai() + ["ask"], input="", capture_output=True, text=True, encoding="utf-8",
                          env={**ENV, "LANG": "en_US.UTF-8"}, check=False)
    assert done.stdout.startswith("Xisaishan District policy self-check")
    zh = subprocess.run(xisai() + ["ask"], input="", capture_output=True, text=True, encoding="utf-8",
                        env={**ENV, "LANG": "en_US.UTF-8", "XISAI_LANG": "zh_CN"}, check=False)
    assert zh.stdout.startswith("西塞山区政策自测")


def test_input_ending_early_keeps_the_answers(tmp_path):
    cut = [answer for _, answer in TALENT.steps[:15]]   # ends inside the home purchase
    done = subprocess.run(xisai() + args(TALENT), input="\n".join(cut) + "\n", capture_output=True, text=True,
                          encoding="utf-8", env=ENV, check=False)
    assert done.returncode == 1
    assert "输入提前结束，问卷未完成。" in done.stdout
    dumped = json.loads(done.stdout[done.stdout.index("{"):])
    assert "home_purchase" not in dumped["persons"][0]        # the unfinished object is left out
    assert dumped["persons"][0]["talent"]["approved_monthly_allowance"] == "1500"
    save = tmp_path / "partial.json"
    done = subprocess.run(xisai() + args(TALENT) + ["--save", str(save)], input="\n".join(cut) + "\n",
                          capture_output=True, text=True, encoding="utf-8", env=ENV, check=False)
    assert done.returncode == 1 and str(save) in done.stdout
    decision = check_json(save)
    assert decision["totals"]["cash"] == "54000.00"        # the living allowance; the purchase was never finished
