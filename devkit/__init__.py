"""The dev kit: stand-ins for the outside world (Xero, CRMs) to run and test the product on one machine.

It imports nothing of the product but `plugin.create_app`.
"""
