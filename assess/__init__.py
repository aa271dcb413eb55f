"""gen2-assess: what stands between each Hyper-V Generation 1 VM and Generation 2."""

__version__ = "0.1.0"
