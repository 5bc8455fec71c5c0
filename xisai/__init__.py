"""xisai: 专栏11-1 政策支持行动 as rules, and the decisions they give."""
__version__ = "0.1.0"
