"""The import engine: reads lead files, maps and validates them, and writes through a Store.

Framework-free on purpose: nothing here imports frappe, so it runs and is tested anywhere.
"""
