"""``assess verify``: does the new Generation 2 VM carry over everything the old VM had?

``fields`` is the comparison as data (which column, how it is compared, when a change is
expected); ``plan_file`` reads what ``assess plan`` intended; ``compare`` finds each old VM's
new VM and rollback VM and gives the status (the pairing rules are in its docstring);
``devices`` pairs and compares adapters, disks, floppy, COM and DVD; ``findings`` collects
one VM's differences and gaps; ``inventory_view`` indexes an inventory's rows.
``assess.render.verify_report`` prints and writes the result.
"""
