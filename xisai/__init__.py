"""xisai: 专栏11-1 政策支持行动 as rules, and the decisions they give.

    from xisai import Engine
    engine = Engine()                      # loads and compiles rules/ once
    decision = engine.evaluate(case)       # a dict, a JSON text or a Case model
"""
from .engine.decision import Decision
from .engine.evaluate import Engine, EngineError

__version__ = "0.1.0"
__all__ = ["Decision", "Engine", "EngineError", "__version__"]
