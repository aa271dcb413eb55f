"""Guest-side scripts: MBR2GPT (in the full OS, or offline from Windows PE), recapture of the
boot disk with DISM onto a new GPT disk, and guided EFI steps for Linux and FreeBSD.

The Windows ones follow the host runbook's contract (``-Execute`` or nothing changes, every
step checks first, transcript, stop at the first error). The Linux/FreeBSD one is a shell
script that only checks and prints: the partition work stays in the operator's hands.
"""

from __future__ import annotations

from assess import __version__
from assess.plan.model import VmPlan
from assess.plan.quoting import comment_text, ps_literal, sh_literal
from assess.plan.render.host_script import ps_resource

BAR = "# " + "=" * 94


def _crlf(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def _header(plan: VmPlan, title: str, where: str, run: list[str], generated: str) -> list[str]:
    c = comment_text
    return [
        BAR,
        f"# {title}, written by gen2-assess {__version__} on {generated}.",
        "#",
        f"# VM         {c(plan.name)}   on {c(plan.host or 'unknown host')}",
        f"# Guest OS   {c(plan.os or 'unknown')}",
        f"# Path       {plan.path}; host runbook: {plan.scripts[0].rsplit('/', 1)[-1]}",
        f"# Where      {where}",
        "#",
        "# How to run:",
        *[f"#   {line}" for line in run],
        "# Without -Execute nothing changes. Every step checks first whether it is done (a run",
        "# that stopped resumes), the script stops at the first error and writes a transcript.",
        BAR,
        "",
    ]


def _prologue(plan: VmPlan, params: list[tuple[str, str]], log_stem: str) -> list[str]:
    block = []
    for index, (comment, declaration) in enumerate(params):
        comma = "," if index < len(params) - 1 else ""
        block += [f"    # {comment}", f"    {declaration}{comma}"]
    return [
        "[CmdletBinding()]",
        "param(",
        *block,
        ")",
        "",
        "$ErrorActionPreference = 'Stop'",
        f"$VmName = {ps_literal(plan.name)}",
        "$TranscriptFile = Join-Path $PSScriptRoot ("
        + ps_literal(log_stem)
        + " + '-' + (Get-Date -Format 'yyyyMMdd-HHmmss') + '.log')",
        "",
        ps_resource("common-functions.ps1"),
        "",
    ]


def render_mbr2gpt(plan: VmPlan, generated: str) -> str:
    offline = plan.guest_variant == "mbr2gpt-offline"
    name = plan.scripts[1].rsplit("/", 1)[-1]
    if offline:
        where = (
            "inside the VM, booted from Windows PE 1703 or later (with PowerShell): this"
            " Windows 10 release (1507-1607) converts offline only"
        )
        run = [
            "In the full OS first: manage-bde -protectors -disable C:   (suspend BitLocker)",
            f"Boot the VM from Windows PE 1703+, then: {name}            (preview)",
            f"                                          {name} -Execute",
            f"After the first Generation 2 boot (full OS): {name} -AfterGen2Boot -Execute",
        ]
    else:
        where = "inside the guest, elevated Windows PowerShell, while the VM is still Generation 1"
        run = [
            f"Preview ............................ .\\{name}",
            f"Convert ............................ .\\{name} -Execute",
            "Shut the guest down (or let the host runbook do it), continue the host runbook.",
            f"After the first Generation 2 boot ... .\\{name} -AfterGen2Boot -Execute",
        ]
    lines = _header(plan, "MBR2GPT guest script", where, run, generated)
    lines += _prologue(
        plan,
        [
            ("Without -Execute nothing changes.", "[switch]$Execute"),
            (
                "Run once in the guest after its first boot as Generation 2.",
                "[switch]$AfterGen2Boot",
            ),
            ("The disk to convert (default: the OS disk; 0 in Windows PE).", "[int]$Disk = -1"),
        ],
        name.replace(".ps1", ""),
    )
    full_os = "" if offline else " /allowFullOS"
    lines += [
        "Start-Transcript -Path $TranscriptFile -Append | Out-Null",
        "if (-not $Execute) { Write-Line 'PREVIEW: nothing is changed. Run with -Execute to act.' }",
        "try {",
        "    if (-not $AfterGen2Boot) {",
    ]
    if offline:
        lines += [
            "        Invoke-Step '1' 'Check: running in Windows PE' -ReadOnly -Action {",
            "            if ($env:SystemDrive -ne 'X:') { throw 'Boot the VM from Windows PE 1703 or later first.' }",
            "        }",
            "        if ($Disk -lt 0) { $Disk = 0 }",
        ]
    else:
        lines += [
            "        Invoke-Step '1' 'Check: Windows 10 1703 / Server 2019 or later' -ReadOnly -Action {",
            "            $build = [int](Get-CimInstance -ClassName Win32_OperatingSystem).BuildNumber",
            "            if ($build -lt 15063) { throw ('Build {0}: MBR2GPT from the full OS needs 1703 (15063)"
            " or later; convert offline from Windows PE.' -f $build) }",
            "        }",
            "        if ($Disk -lt 0) { $Disk = (Get-Partition -DriveLetter $env:SystemDrive.Substring(0, 1)).DiskNumber }",
            "        Invoke-Step '2' 'Check: WinRE is enabled (MBR2GPT needs it)' -ReadOnly -Action {",
            "            $info = (& reagentc.exe /info) -join ' '",
            "            if ($info -notmatch 'Enabled') { throw 'WinRE is disabled: run reagentc /enable first.' }",
            "        }",
            "        Invoke-Step '3' 'Suspend BitLocker on the OS volume' -Done {",
            "            if (-not (Get-Command -Name Get-BitLockerVolume -ErrorAction SilentlyContinue)) { return $true }",
            "            [string](Get-BitLockerVolume -MountPoint $env:SystemDrive).ProtectionStatus -ne 'On'",
            "        } -Action {",
            "            Suspend-BitLocker -MountPoint $env:SystemDrive -RebootCount 0",
            "        }",
        ]
    lines += [
        "        Write-Line ('    disk {0}' -f $Disk)",
        "        Invoke-Step '4' 'Validate the disk layout (mbr2gpt /validate)' -ReadOnly -Done {",
        "            [string](Get-Disk -Number $Disk).PartitionStyle -eq 'GPT'",
        "        } -Action {",
        f"            & mbr2gpt.exe /validate /disk:$Disk{full_os}",
        "            if ($LASTEXITCODE -ne 0) { throw ('mbr2gpt /validate failed with code {0}: see"
        " setuperr.log in %windir% (most often: more than 3 primary partitions).' -f $LASTEXITCODE) }",
        "        }",
        "        Invoke-Step '5' 'Convert the disk to GPT (mbr2gpt /convert); it then boots only as"
        " Generation 2' -Done {",
        "            [string](Get-Disk -Number $Disk).PartitionStyle -eq 'GPT'",
        "        } -Action {",
        f"            & mbr2gpt.exe /convert /disk:$Disk{full_os}",
        "            if ($LASTEXITCODE -ne 0) { throw ('mbr2gpt /convert failed with code {0} (6: BitLocker"
        " not suspended; 100: converted, some BCD entries lost).' -f $LASTEXITCODE) }",
        "        }",
        "        Write-Manual '6' 'Shut the guest down, then run the host runbook with -Execute -GuestPrepared.'",
        "    }",
        "    else {",
        "        Invoke-Step 'A1' 'Check: the guest booted with UEFI' -ReadOnly -Action {",
        "            try { Confirm-SecureBootUEFI | Out-Null }",
        "            catch { throw 'This guest did not boot with UEFI: is it the Generation 2 VM?' }",
        "        }",
        "        Invoke-Step 'A2' 'Resync WinRE (reagentc /disable, /enable)' -Action {",
        "            & reagentc.exe /disable",
        "            & reagentc.exe /enable",
        "            if ($LASTEXITCODE -ne 0) { throw 'reagentc /enable failed: check reagentc /info.' }",
        "        }",
        "        Write-Manual 'A3' 'BitLocker: recreate the key protectors (manage-bde -protectors), then"
        " Resume-BitLocker -MountPoint C:.'",
        "        Write-Manual 'A4' 'If the old system partition got a drive letter, remove the letter"
        " (Disk Management).'",
        "    }",
        "}",
        "finally {",
        "    Stop-Transcript | Out-Null",
        "}",
    ]
    return _crlf(lines)


def render_recapture(plan: VmPlan, generated: str) -> str:
    name = plan.scripts[1].rsplit("/", 1)[-1]
    boot = next((d for d in plan.disks or () if d.is_boot), None)
    where = (
        "on the Hyper-V host (it has DISM, diskpart and bcdboot), with the Generation 1 VM off;"
        " the old boot disk is only read"
    )
    run = [
        f"Preview ...... .\\{name}",
        f"Recapture .... .\\{name} -Execute",
        "Then continue the host runbook with -Execute -GuestPrepared.",
    ]
    lines = _header(plan, "Recapture script (DISM onto a new GPT disk)", where, run, generated)
    lines += _prologue(
        plan,
        [
            ("Without -Execute nothing changes.", "[switch]$Execute"),
            (
                "Where the captured image (.wim) goes (default: next to the new disk).",
                "[string]$WorkPath = ''",
            ),
        ],
        name.replace(".ps1", ""),
    )
    if boot is not None and boot.source_path and boot.path:
        lines += [
            f"$SourceDisk = {ps_literal(boot.source_path)}",
            f"$TargetDisk = {ps_literal(boot.path)}",
        ]
    else:
        lines += [
            "# The inventory did not list the boot disk: it is read from the VM (first IDE disk).",
            "$VmDisk = @(Get-VM | Where-Object { $_.Name -eq $VmName } | Get-VMHardDiskDrive |"
            " Where-Object { [string]$_.ControllerType -eq 'IDE' } | Sort-Object -Property"
            " @('ControllerNumber', 'ControllerLocation'))[0]",
            "$SourceDisk = $VmDisk.Path",
            "$TargetDisk = ($SourceDisk -replace '\\.vhdx?$', '') + '-gen2.vhdx'",
        ]
    lines += [
        "if (-not $WorkPath) { $WorkPath = Split-Path -Parent $TargetDisk }",
        "$Wim = Join-Path $WorkPath ((Split-Path -Leaf $TargetDisk) + '.wim')",
        "",
        "function Get-FreeLetter {",
        "    param([string[]]$Except = @())",
        "    $used = @(Get-PSDrive -PSProvider FileSystem | ForEach-Object { $_.Name }) + $Except",
        "    $free = 'DEFGHIJKLMNOPQRSTUVWXYZ'.ToCharArray() | Where-Object { $used -notcontains [string]$_ } |"
        " Select-Object -First 1",
        "    if ($null -eq $free) { throw 'No free drive letter.' }",
        "    return [string]$free",
        "}",
        "",
        "function Get-TargetPartition {",
        "    # The new disk's EFI system partition or its Windows partition (reads only).",
        "    param([string]$Kind)",
        "    $disk = Get-VHD -Path $TargetDisk | Get-Disk",
        "    $type = @{ Esp = '{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}'; Windows ="
        " '{ebd0a0a2-b9e5-4433-87c0-68b6b72699c7}' }[$Kind]",
        "    return Get-Partition -DiskNumber $disk.Number | Where-Object { $_.GptType -eq $type } |"
        " Sort-Object -Property Size | Select-Object -Last 1",
        "}",
        "",
        "function Get-TargetLetter {",
        "    # The drive letter of a partition of the new disk ('' when it has none).",
        "    param([string]$Kind)",
        "    if (-not (Test-Path -LiteralPath $TargetDisk) -or -not (Get-VHD -Path $TargetDisk).Attached) { return '' }",
        "    return [string](Get-TargetPartition -Kind $Kind).DriveLetter",
        "}",
        "",
        "function Add-TargetLetter {",
        "    # Gives a partition of the new disk a drive letter if it has none; returns the letter.",
        "    param([string]$Kind)",
        "    if (-not (Get-VHD -Path $TargetDisk).Attached) { Mount-VHD -Path $TargetDisk }",
        "    $part = Get-TargetPartition -Kind $Kind",
        "    if (-not $part.DriveLetter) { $part | Add-PartitionAccessPath -AssignDriveLetter }",
        "    return Get-TargetLetter -Kind $Kind",
        "}",
        "",
        "Start-Transcript -Path $TranscriptFile -Append | Out-Null",
        "if (-not $Execute) { Write-Line 'PREVIEW: nothing is changed. Run with -Execute to act.' }",
        "try {",
        "    Invoke-Step '1' 'Check: the old boot disk is not in use (VM off)' -ReadOnly -Action {",
        "        if (-not (Test-Path -LiteralPath $SourceDisk)) { throw ('Not found: ' + $SourceDisk) }",
        "        if ((Get-VHD -Path $SourceDisk).Attached -and -not (Test-Path -LiteralPath $Wim)) {",
        "            throw 'The old boot disk is attached: shut the VM down (host runbook) first.'",
        "        }",
        "    }",
        "    Invoke-Step '2' 'Capture the Windows volume of the old disk into a .wim (disk mounted"
        " read-only)' -Done { Test-Path -LiteralPath $Wim } -Action {",
        "        Mount-VHD -Path $SourceDisk -ReadOnly",
        "        try {",
        "            $parts = @(Get-VHD -Path $SourceDisk | Get-Disk | Get-Partition | Where-Object { $_.DriveLetter })",
        "            $windows = $parts | Where-Object { Test-Path -LiteralPath ('{0}:\\Windows\\System32' -f"
        " $_.DriveLetter) } | Select-Object -First 1",
        "            if ($null -eq $windows) { throw 'No Windows volume with a drive letter on the old disk.' }",
        '            & dism.exe /Capture-Image "/ImageFile:$Wim.partial" "/CaptureDir:$($windows.DriveLetter):\\"'
        " /Name:gen2-recapture",
        "            if ($LASTEXITCODE -ne 0) { throw ('dism /Capture-Image failed with code {0}.' -f $LASTEXITCODE) }",
        '            Rename-Item -LiteralPath "$Wim.partial" -NewName (Split-Path -Leaf $Wim)',
        "        }",
        "        finally { Dismount-VHD -Path $SourceDisk }",
        "    }",
        "    Invoke-Step '3' 'Create the new disk (.vhdx, dynamic, same size)' -Done { Test-Path -LiteralPath"
        " $TargetDisk } -Action {",
        "        New-VHD -Path $TargetDisk -SizeBytes (Get-VHD -Path $SourceDisk).Size -Dynamic | Out-Null",
        "    }",
        "    Invoke-Step '4' 'Partition the new disk: GPT, WinRE tools, EFI system (FAT32), MSR, Windows"
        " (NTFS)' -Done {",
        "        (Test-Path -LiteralPath $TargetDisk) -and (Get-VHD -Path $TargetDisk).Attached -and"
        " [string](Get-VHD -Path $TargetDisk | Get-Disk).PartitionStyle -eq 'GPT'",
        "    } -Action {",
        "        if (-not (Get-VHD -Path $TargetDisk).Attached) { Mount-VHD -Path $TargetDisk }",
        "        $disk = Get-VHD -Path $TargetDisk | Get-Disk",
        "        # Only a brand-new, empty disk is partitioned: anything else stops here.",
        "        if ([string]$disk.PartitionStyle -ne 'RAW') { throw ('Disk {0} is not empty: stopped.' -f $disk.Number) }",
        "        $esp = Get-FreeLetter",
        "        $win = Get-FreeLetter -Except @($esp)",
        "        $commands = @(",
        "            ('select disk {0}' -f $disk.Number),",
        "            'convert gpt',",
        "            'create partition primary size=300',",
        "            'format quick fs=ntfs label=WinRE',",
        "            'set id=de94bba4-06d1-4d40-a16a-bfd50179d6ac',",
        "            'gpt attributes=0x8000000000000001',",
        "            'create partition efi size=100',",
        "            'format quick fs=fat32 label=System',",
        "            ('assign letter={0}' -f $esp),",
        "            'create partition msr size=128',",
        "            'create partition primary',",
        "            'format quick fs=ntfs label=Windows',",
        "            ('assign letter={0}' -f $win)",
        "        )",
        "        $commands | & diskpart.exe",
        "        if ($LASTEXITCODE -ne 0) { throw ('diskpart failed with code {0}.' -f $LASTEXITCODE) }",
        "    }",
        "    Invoke-Step '5' 'Apply the image to the Windows partition (dism /Apply-Image)' -Done {",
        "        $letter = Get-TargetLetter -Kind Windows",
        "        $letter -and (Test-Path -LiteralPath ('{0}:\\Windows\\System32' -f $letter))",
        "    } -Action {",
        "        $letter = Add-TargetLetter -Kind Windows",
        '        & dism.exe /Apply-Image "/ImageFile:$Wim" /Index:1 "/ApplyDir:${letter}:\\"',
        "        if ($LASTEXITCODE -ne 0) { throw ('dism /Apply-Image failed with code {0}.' -f $LASTEXITCODE) }",
        "    }",
        "    Invoke-Step '6' 'Write UEFI boot files (bcdboot /f UEFI)' -Done {",
        "        $letter = Get-TargetLetter -Kind Esp",
        "        $letter -and (Test-Path -LiteralPath ('{0}:\\EFI\\Microsoft\\Boot\\bootmgfw.efi' -f $letter))",
        "    } -Action {",
        "        $windows = Add-TargetLetter -Kind Windows",
        "        $esp = Add-TargetLetter -Kind Esp",
        '        & bcdboot.exe "${windows}:\\Windows" /s "${esp}:" /f UEFI',
        "        if ($LASTEXITCODE -ne 0) { throw ('bcdboot failed with code {0}.' -f $LASTEXITCODE) }",
        "    }",
        "    Invoke-Step '7' 'Detach the new disk' -Done { -not (Get-VHD -Path $TargetDisk).Attached } -Action {",
        "        Dismount-VHD -Path $TargetDisk",
        "    }",
        "    Write-Manual '8' 'WinRE and push-button reset are not carried by a recapture: set them up"
        " again after the first Generation 2 boot.'",
        "    Write-Manual '9' 'Continue the host runbook with -Execute -GuestPrepared.'",
        "}",
        "finally {",
        "    Stop-Transcript | Out-Null",
        "}",
    ]
    return _crlf(lines)


def render_unix_guide(plan: VmPlan, generated: str) -> str:
    """A POSIX shell script: read-only checks and the next command to run, step by step."""
    freebsd = plan.guest_variant == "freebsd"
    name = plan.scripts[1].rsplit("/", 1)[-1]
    secure = plan.firmware is not None and plan.firmware.secure_boot
    c = comment_text
    lines = [
        "#!/bin/sh",
        BAR,
        f"# Guided EFI preparation ({'FreeBSD' if freebsd else 'Linux'}), written by gen2-assess"
        f" {__version__} on {generated}.",
        "#",
        f"# VM         {c(plan.name)}   on {c(plan.host or 'unknown host')}",
        f"# Guest OS   {c(plan.os or 'unknown')}",
        f"# Secure Boot on the new VM: {'on, Microsoft UEFI CA template' if secure else 'off'}",
        "#",
        "# This script changes nothing. It checks each step inside the guest and prints the next",
        "# command for you to run as root; run it again after each step until every check passes.",
        f"#   sh {name}           checks before the conversion (still Generation 1)",
        f"#   sh {name} after     checks after the first Generation 2 boot",
        "# Keep BIOS boot working until the Generation 2 VM boots: the Generation 1 VM is the rollback.",
        BAR,
        "",
        f"VM_NAME={sh_literal(plan.name)}",
        'PHASE="${1:-before}"',
        "failed=0",
        'step() { printf \'\\n[%s] %s\\n\' "$1" "$2"; }',
        "ok() { printf '    ok: %s\\n' \"$1\"; }",
        "todo() { printf '    TO DO: %s\\n' \"$1\"; failed=1; }",
        'printf "EFI preparation checks for %s (%s)\\n" "$VM_NAME" "$PHASE"',
        "",
    ]
    if freebsd:
        lines += [
            "ROOT_DISK=\"$(gpart show -p 2>/dev/null | awk '/^=>/ {print $4; exit}')\"",
            'if [ "$PHASE" = "before" ]; then',
            '  step 1 "Back up the boot sector"',
            "  if [ -f /root/mbr-backup.bin ]; then ok /root/mbr-backup.bin; else"
            ' todo "dd if=/dev/${ROOT_DISK} of=/root/mbr-backup.bin bs=512 count=1"; fi',
            '  step 2 "Partition scheme (GPT wanted)"',
            "  if gpart show \"$ROOT_DISK\" 2>/dev/null | grep -q ' GPT '; then ok GPT; else"
            ' todo "the disk is MBR: convert to GPT (gpart) following the FreeBSD Handbook, or'
            ' reinstall; keep a freebsd-boot partition for BIOS boot"; fi',
            '  step 3 "EFI system partition with the FreeBSD loader"',
            "  if gpart show \"$ROOT_DISK\" 2>/dev/null | grep -q ' efi '; then ok 'efi partition'; else"
            ' todo "gpart add -t efi -s 200M ${ROOT_DISK}; newfs_msdos the partition; copy'
            ' /boot/loader.efi to EFI/BOOT/BOOTX64.EFI on it"; fi',
            "else",
            '  step A1 "Booted with UEFI"',
            '  if [ "$(sysctl -n machdep.bootmethod 2>/dev/null)" = UEFI ]; then ok UEFI; else'
            ' todo "not booted with UEFI: is this the Generation 2 VM?"; fi',
            "fi",
        ]
    else:
        lines += [
            'ROOT_DISK="/dev/$(lsblk -no PKNAME "$(findmnt -no SOURCE /)" 2>/dev/null | head -n 1)"',
            'if [ "$PHASE" = "before" ]; then',
            '  step 1 "Back up the MBR"',
            "  if [ -f /root/mbr-backup.bin ]; then ok /root/mbr-backup.bin; else"
            ' todo "dd if=${ROOT_DISK} of=/root/mbr-backup.bin bs=512 count=1"; fi',
            '  step 2 "EFI GRUB installed'
            + (" (signed, with shim: Secure Boot stays on)" if secure else "")
            + '"',
            "  if [ -d /usr/lib/grub/x86_64-efi ] || [ -d /usr/lib/grub/x86_64-efi-signed ] ||"
            " [ -d /usr/lib/grub2/x86_64-efi ] || ls /boot/efi/EFI/*/grubx64.efi >/dev/null 2>&1;"
            " then ok 'EFI GRUB present'; else"
            ' todo "install the EFI GRUB packages: grub-efi-amd64-signed shim-signed (Debian/Ubuntu),'
            ' grub2-efi-x64 shim-x64 (RHEL family), grub2-x86_64-efi shim (SUSE)"; fi',
            '  step 3 "Partition table is GPT"',
            '  if [ "$(lsblk -dno PTTYPE "$ROOT_DISK" 2>/dev/null)" = gpt ]; then ok gpt; else'
            ' todo "gdisk ${ROOT_DISK}: w writes the table as GPT (after the backup in step 1)"; fi',
            '  step 4 "BIOS boot partition (ef02) so the disk still boots as Generation 1"',
            '  if lsblk -no PARTTYPE "$ROOT_DISK" 2>/dev/null | grep -qi 21686148-6453-6f6e-7420-4e6565644546;'
            " then ok 'BIOS boot partition'; else"
            ' todo "add a 1 MiB partition of type ef02 (gdisk), then grub-install ${ROOT_DISK}'
            ' (grub2-install on RHEL)"; fi',
            '  step 5 "EFI system partition (ef00, about 200 MB, vfat) on /boot/efi"',
            '  if lsblk -no PARTTYPE "$ROOT_DISK" 2>/dev/null | grep -qi c12a7328-f81f-11d2-ba4b-00a0c93ec93b;'
            " then ok 'EFI system partition'; else"
            ' todo "add a partition of type ef00, mkfs.vfat it, mount it on /boot/efi"; fi',
            "  if grep -q '[[:space:]]/boot/efi[[:space:]]' /etc/fstab; then ok '/boot/efi in fstab'; else"
            ' todo "add /boot/efi (by UUID) to /etc/fstab"; fi',
            '  step 6 "GRUB installed for EFI"',
            "  if ls /boot/efi/EFI/*/grubx64.efi >/dev/null 2>&1 || ls /boot/efi/EFI/*/shimx64.efi"
            " >/dev/null 2>&1; then ok 'EFI loader on /boot/efi'; else"
            ' todo "grub-install --target=x86_64-efi --efi-directory=/boot/efi (grub2-install on RHEL),'
            ' then update-grub / grub2-mkconfig"; fi',
            "else",
            '  step A1 "Booted with UEFI"',
            "  if [ -d /sys/firmware/efi ]; then ok UEFI; else"
            ' todo "not booted with UEFI: is this the Generation 2 VM?"; fi',
            '  step A2 "/boot/efi mounted"',
            '  if findmnt /boot/efi >/dev/null 2>&1; then ok mounted; else todo "mount /boot/efi"; fi',
            "fi",
        ]
    lines += [
        "",
        'if [ "$failed" -eq 0 ]; then',
        '  if [ "$PHASE" = "before" ]; then',
        "    printf '\\nAll checks passed: shut down and run the host runbook with -Execute -GuestPrepared.\\n'",
        "  else",
        "    printf '\\nAll checks passed.\\n'",
        "  fi",
        "else",
        "  printf '\\nDo the TO DO items above, then run this script again.\\n'",
        "fi",
        'exit "$failed"',
    ]
    return "\n".join(lines) + "\n"


def render_rebuild_checklist(plan: VmPlan, generated: str) -> str:
    c = comment_text
    return "\n".join(
        [
            f"# Rebuild checklist: {c(plan.name)}",
            "",
            f"Written by gen2-assess {__version__} on {generated}.",
            "",
            f"- VM: {c(plan.name)} (id {c(plan.id or 'unknown')}) on {c(plan.host or 'unknown host')}",
            f"- Guest OS: {c(plan.os or 'unknown')}",
            f"- Verdict: {plan.verdict}; open findings: {' '.join(plan.finding_ids) or 'none'}",
            f"- Why no conversion script: {c(plan.no_script_reason or '', 300)}",
            "",
            "This guest cannot run as Generation 2. The workload moves to a new Generation 2 VM",
            "with a supported operating system; the Generation 1 VM stays until the new one is",
            "accepted.",
            "",
            "## Before",
            "- [ ] Application owner named; supported target OS chosen (Windows Server 2019 or later,"
            " or a current Linux release from Microsoft's list).",
            "- [ ] Record the VM's settings: processor, memory, every network adapter (switch, MAC,"
            " VLAN), disks, automatic start/stop, cluster role and preferred owners, Replica.",
            "- [ ] Back up the VM (Export-VM or the backup product) and test the restore.",
            "",
            "## Build",
            "- [ ] New Generation 2 VM, Secure Boot template by guest OS (Windows: MicrosoftWindows;"
            " Linux: MicrosoftUEFICertificateAuthority).",
            "- [ ] Same network placement (switch, VLAN); new MAC unless the application is licensed to it.",
            "- [ ] Install the OS and the application; move the data; point clients and DNS at it.",
            "",
            "## After",
            "- [ ] Acceptance by the application owner.",
            "- [ ] Cluster role and Replica for the new VM, as the old one had.",
            "- [ ] Retire the Generation 1 VM (never before acceptance).",
            "",
        ]
    )
