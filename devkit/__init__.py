"""The dev kit: a local Xero emulator (`devkit.emulator`), a demo CRM (`devkit.democrm`)
and a small Pipedrive (`devkit.pipedrive`).

It stands apart from the product. The only product name it imports is the public factory
`plugin.create_app`, and only in the demo launchers (`democrm.launcher`, `pipedrive.world`), to start the panel
between the emulator and the CRM.
Everything else it needs it keeps here: a clock protocol (`clock`), the demo client's settings
(`settings`), a threaded loopback server (`serving`) and where the demo CRM's templates live (`paths`).
The `xero-panel demo` and `xero-panel emulator` commands are in `commands` (click).
"""
