"""``assess verify``: does the new Generation 2 VM carry over everything the old VM had?

``fields`` is the comparison as data (which column, how it is compared, when a change is
expected), ``plan_file`` reads what ``assess plan`` intended, ``compare`` pairs the VMs of two
inventories and compares them. ``assess.render.verify_report`` prints and writes the result.
"""
