function Get-SourceVM {
    # The Generation 1 VM: by id when the inventory had one, since its name changes on the way.
    if ($VmId) { return Get-VM -Id $VmId -ErrorAction SilentlyContinue }
    $found = @(Get-VM | Where-Object { $_.Generation -eq 1 -and ($_.Name -eq $VmName -or $_.Name -eq $KeptName) })
    if ($found.Count -gt 1) { throw ('More than one Generation 1 VM is named {0} or {1}.' -f $VmName, $KeptName) }
    if ($found.Count -eq 1) { return $found[0] }
    return $null
}

function Get-RequiredSourceVM {
    $vm = Get-SourceVM
    if ($null -eq $vm) { throw ('The Generation 1 VM {0} was not found on this host.' -f $VmName) }
    return $vm
}

function Get-NewVM {
    # The Generation 2 VM this runbook creates (names are compared exactly, no wildcards).
    $found = @(Get-VM | Where-Object { $_.Generation -eq 2 -and $_.Name -eq $VmName })
    if ($found.Count -gt 1) { throw ('More than one Generation 2 VM is named {0}.' -f $VmName) }
    if ($found.Count -eq 1) { return $found[0] }
    return $null
}

function Get-RequiredNewVM {
    $vm = Get-NewVM
    if ($null -eq $vm) { throw ('The Generation 2 VM {0} does not exist yet.' -f $VmName) }
    return $vm
}

function Test-NewVMStarted {
    # True once the Generation 2 VM has been started: its set-up steps are then done.
    $vm = Get-NewVM
    return ($null -ne $vm -and [string]$vm.State -ne 'Off')
}

function Get-RecordedStartAction {
    # The Generation 1 VM's automatic start action before this runbook set it to Nothing.
    if (Test-Path -LiteralPath $StateFile) {
        return (Get-Content -LiteralPath $StateFile -Raw | ConvertFrom-Json).AutomaticStartAction
    }
    return [string](Get-RequiredSourceVM).AutomaticStartAction
}

function Save-RecordedStartAction {
    param([string]$Action)
    if (-not (Test-Path -LiteralPath $StateFile)) {
        @{ AutomaticStartAction = $Action } | ConvertTo-Json | Set-Content -LiteralPath $StateFile -Encoding UTF8
    }
}

function Assert-SourceDevices {
    # Stops when the Generation 1 VM no longer has the adapters and disks this plan was built from.
    param($Source)
    $problems = @()
    if ($null -ne $PlanAdapters) {
        $macs = @(Get-VMNetworkAdapter -VM $Source | ForEach-Object { $_.MacAddress })
        foreach ($adapter in $PlanAdapters) {
            if ($adapter.Mac -and $macs -notcontains $adapter.Mac) {
                $problems += ('adapter {0} with MAC {1} is gone' -f $adapter.Name, $adapter.Mac)
            }
        }
        if ($macs.Count -ne $PlanAdapters.Count) {
            $problems += ('{0} adapters now, {1} in the plan' -f $macs.Count, $PlanAdapters.Count)
        }
    }
    if ($null -ne $PlanDisks) {
        $attached = @(Get-VMHardDiskDrive -VM $Source)
        $paths = @($attached | ForEach-Object { $_.Path })
        foreach ($disk in $PlanDisks) {
            if ($disk.SourcePath -and $paths -notcontains $disk.SourcePath) {
                $problems += ('disk {0} is no longer attached' -f $disk.SourcePath)
            }
        }
        if ($attached.Count -ne $PlanDisks.Count) {
            $problems += ('{0} disks now, {1} in the plan' -f $attached.Count, $PlanDisks.Count)
        }
    }
    if ($problems.Count -gt 0) {
        throw ('The VM changed since the inventory: ' + ($problems -join '; ') + '. Collect and plan again.')
    }
}

function Test-ConvertedDisk {
    # True when the new .vhdx exists and is a valid disk; stops on a half-written file.
    param([string]$Path)
    if (-not (Test-Path -LiteralPath $Path)) { return $false }
    if (Test-VHD -Path $Path) { return $true }
    throw ('{0} exists but is not a valid disk (an interrupted conversion?). Move it away by hand, then run again.' -f $Path)
}

function Test-DiskSlot {
    # True when the SCSI slot already holds this disk; stops when it holds another one.
    param([int]$Controller, [int]$Location, [string]$Path, $DiskNumber)
    $vm = Get-NewVM
    if ($null -eq $vm) { return $false }
    $drive = Get-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber $Controller -ControllerLocation $Location
    if ($null -eq $drive) { return $false }
    if ($Path -and $drive.Path -eq $Path) { return $true }
    if ($null -ne $DiskNumber -and $drive.DiskNumber -eq $DiskNumber) { return $true }
    throw ('SCSI {0}:{1} of the new VM holds {2}, not the planned disk.' -f $Controller, $Location, $drive.Path)
}

function Add-ScsiControllers {
    # Generation 2 VMs start with SCSI controller 0; add controllers up to the one needed.
    param([int]$Controller)
    $vm = Get-RequiredNewVM
    while (@(Get-VMScsiController -VM $vm).Count -le $Controller) {
        Add-VMScsiController -VM $vm
    }
}

function Set-PlannedAdapter {
    # The new VM's adapter with this MAC: found, or made from New-VM's default adapter, or added.
    param([string]$Name, [string]$SwitchName, [string]$Mac, [switch]$DeviceNaming)
    $vm = Get-RequiredNewVM
    $nic = Get-VMNetworkAdapter -VM $vm | Where-Object { $_.MacAddress -eq $Mac }
    if ($null -eq $nic) {
        $nic = Get-VMNetworkAdapter -VM $vm | Where-Object { $_.Name -eq $DefaultAdapterName } | Select-Object -First 1
        if ($null -ne $nic) {
            Set-VMNetworkAdapter -VMNetworkAdapter $nic -StaticMacAddress $Mac
            Rename-VMNetworkAdapter -VMNetworkAdapter $nic -NewName $Name
        } elseif ($SwitchName) {
            Add-VMNetworkAdapter -VM $vm -Name $Name -SwitchName $SwitchName -StaticMacAddress $Mac
        } else {
            Add-VMNetworkAdapter -VM $vm -Name $Name -StaticMacAddress $Mac
        }
        $nic = Get-VMNetworkAdapter -VM $vm | Where-Object { $_.MacAddress -eq $Mac }
    }
    if ($SwitchName -and $nic.SwitchName -ne $SwitchName) {
        Connect-VMNetworkAdapter -VMNetworkAdapter $nic -SwitchName $SwitchName
    }
    if ($DeviceNaming) { Set-VMNetworkAdapter -VMNetworkAdapter $nic -DeviceNaming On }
    return $nic
}

function Get-SourceAdapter {
    param([string]$Mac)
    $nic = Get-VMNetworkAdapter -VM (Get-RequiredSourceVM) | Where-Object { $_.MacAddress -eq $Mac }
    if ($null -eq $nic) { throw ('The Generation 1 VM has no adapter with MAC {0}.' -f $Mac) }
    return $nic
}

function Copy-AdapterVlan {
    # VLAN settings the inventory did not record: read from the Generation 1 VM's adapter.
    param($From, $To)
    $vlan = Get-VMNetworkAdapterVlan -VMNetworkAdapter $From
    switch ([string]$vlan.OperationMode) {
        'Access' { Set-VMNetworkAdapterVlan -VMNetworkAdapter $To -Access -VlanId $vlan.AccessVlanId }
        'Trunk' {
            Set-VMNetworkAdapterVlan -VMNetworkAdapter $To -Trunk -NativeVlanId $vlan.NativeVlanId -AllowedVlanIdList $vlan.AllowedVlanIdListString
        }
        'Untagged' { Set-VMNetworkAdapterVlan -VMNetworkAdapter $To -Untagged }
        default { throw ('VLAN mode {0} (private VLAN): set it by hand on the new adapter, then run again.' -f $vlan.OperationMode) }
    }
}

function Copy-AdapterPolicy {
    # Port settings the inventory did not record: read from the Generation 1 VM's adapter.
    param($From, $To)
    Set-VMNetworkAdapter -VMNetworkAdapter $To -MacAddressSpoofing $From.MacAddressSpoofing -DhcpGuard $From.DhcpGuard -RouterGuard $From.RouterGuard -PortMirroring $From.PortMirroringMode
    if ($null -ne $From.BandwidthSetting) {
        if ($From.BandwidthSetting.MaximumBandwidth) {
            Set-VMNetworkAdapter -VMNetworkAdapter $To -MaximumBandwidth $From.BandwidthSetting.MaximumBandwidth
        }
        if ($From.BandwidthSetting.MinimumBandwidthWeight) {
            Set-VMNetworkAdapter -VMNetworkAdapter $To -MinimumBandwidthWeight $From.BandwidthSetting.MinimumBandwidthWeight
        }
    }
}

function Copy-AdaptersFromSource {
    # Every adapter of the Generation 1 VM (the inventory did not list them): same name,
    # switch, MAC (set static), VLAN and port settings; legacy adapters become synthetic.
    $source = Get-RequiredSourceVM
    foreach ($from in @(Get-VMNetworkAdapter -VM $source)) {
        if (-not $from.MacAddress -or $from.MacAddress -eq '000000000000') {
            throw ('Adapter {0} has no MAC yet (dynamic, VM never started): set one by hand.' -f $from.Name)
        }
        $to = Set-PlannedAdapter -Name $from.Name -SwitchName $from.SwitchName -Mac $from.MacAddress
        Copy-AdapterVlan -From $from -To $to
        Copy-AdapterPolicy -From $from -To $to
    }
}

function Get-NewDiskPath {
    # The disk the Generation 2 VM attaches for a Generation 1 disk read at run time.
    param([string]$Path, [switch]$Boot)
    if (-not $Path) { return $Path }
    if (($Boot -and $ConversionPath -eq 'recapture') -or $Path -match '\.vhd$') {
        return ($Path -replace '\.vhdx?$', '') + '-gen2.vhdx'
    }
    return $Path
}

function Get-SourceDisksInOrder {
    # The Generation 1 VM's disks, boot disk first (the first IDE disk, as its BIOS boots).
    $disks = @(Get-VMHardDiskDrive -VM (Get-RequiredSourceVM))
    $ide = @($disks | Where-Object { [string]$_.ControllerType -eq 'IDE' } | Sort-Object -Property @('ControllerNumber', 'ControllerLocation'))
    $scsi = @($disks | Where-Object { [string]$_.ControllerType -ne 'IDE' } | Sort-Object -Property @('ControllerNumber', 'ControllerLocation'))
    return @($ide + $scsi)
}

function Convert-SourceVhds {
    # Every .vhd disk into a new .vhdx next to it; the .vhd stays as it is.
    $first = $true
    foreach ($disk in Get-SourceDisksInOrder) {
        $boot = $first
        $first = $false
        if (-not $disk.Path -or $disk.Path -notmatch '\.vhd$') { continue }
        if ($boot -and $ConversionPath -eq 'recapture') { continue }
        $target = Get-NewDiskPath -Path $disk.Path
        if (-not (Test-ConvertedDisk -Path $target)) { Convert-VHD -Path $disk.Path -DestinationPath $target }
    }
}

function Copy-DisksFromSource {
    # Every disk of the Generation 1 VM on SCSI, boot disk first, in the old relative order.
    $index = 0
    foreach ($disk in Get-SourceDisksInOrder) {
        $controller = [math]::Floor($index / 64)
        $location = $index % 64
        $target = Get-NewDiskPath -Path $disk.Path -Boot:($index -eq 0)
        $index += 1
        if (Test-DiskSlot -Controller $controller -Location $location -Path $target -DiskNumber $disk.DiskNumber) { continue }
        Add-ScsiControllers -Controller $controller
        $vm = Get-RequiredNewVM
        if ($null -ne $disk.DiskNumber) {
            Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber $controller -ControllerLocation $location -DiskNumber $disk.DiskNumber
        } elseif ($disk.SupportPersistentReservations) {
            Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber $controller -ControllerLocation $location -Path $target -SupportPersistentReservations
        } else {
            Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber $controller -ControllerLocation $location -Path $target
        }
    }
    return $index
}

function Copy-DvdsFromSource {
    # DVD drives holding an ISO, on SCSI after the disks; physical and empty drives are left out.
    param([int]$FirstIndex)
    $index = $FirstIndex
    $vm = Get-RequiredNewVM
    foreach ($dvd in @(Get-VMDvdDrive -VM (Get-RequiredSourceVM))) {
        if (-not $dvd.Path -or $dvd.Path -notmatch '\.iso$') { continue }
        $present = Get-VMDvdDrive -VM $vm | Where-Object { $_.Path -eq $dvd.Path }
        if ($null -eq $present) {
            $controller = [math]::Floor($index / 64)
            Add-ScsiControllers -Controller $controller
            Add-VMDvdDrive -VM $vm -ControllerNumber $controller -ControllerLocation ($index % 64) -Path $dvd.Path
        }
        $index += 1
    }
}

function Copy-IntegrationServices {
    # Each integration service in the state it has on the Generation 1 VM (not all enabled).
    $vm = Get-RequiredNewVM
    foreach ($service in @(Get-VMIntegrationService -VM (Get-RequiredSourceVM))) {
        if ($service.Enabled) {
            Enable-VMIntegrationService -VM $vm -Name $service.Name
        } else {
            Disable-VMIntegrationService -VM $vm -Name $service.Name
        }
    }
}

function Get-SourceClusterGroup {
    # The cluster role (group) that holds the Generation 1 VM.
    $source = Get-RequiredSourceVM
    foreach ($resource in @(Get-ClusterResource | Where-Object { $_.ResourceType -like 'Virtual Machine' })) {
        $id = ($resource | Get-ClusterParameter -Name VmID).Value
        if ([string]$id -eq [string]$source.Id) { return $resource.OwnerGroup.Name }
    }
    throw 'The cluster role of the Generation 1 VM was not found.'
}

function Test-NewVM {
    # Compares the new VM with this plan; returns the differences found.
    $vm = Get-RequiredNewVM
    $found = @()
    if ($vm.Generation -ne 2) { $found += 'not Generation 2' }
    if ($null -ne $PlanAdapters) {
        $nics = @(Get-VMNetworkAdapter -VM $vm)
        foreach ($adapter in $PlanAdapters) {
            $nic = $nics | Where-Object { $_.MacAddress -eq $adapter.Mac }
            if ($null -eq $nic) { $found += ('no adapter with MAC {0}' -f $adapter.Mac); continue }
            if ($adapter.Switch -and $nic.SwitchName -ne $adapter.Switch) {
                $found += ('adapter {0} on switch {1}, planned {2}' -f $adapter.Mac, $nic.SwitchName, $adapter.Switch)
            }
        }
        if ($nics.Count -ne $PlanAdapters.Count) {
            $found += ('{0} adapters, {1} planned (an unused adapter named {2} is left from New-VM?)' -f $nics.Count, $PlanAdapters.Count, $DefaultAdapterName)
        }
    }
    if ($null -ne $PlanDisks) {
        foreach ($disk in $PlanDisks) {
            $drive = Get-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber $disk.Controller -ControllerLocation $disk.Location
            if ($null -eq $drive) { $found += ('SCSI {0}:{1} is empty' -f $disk.Controller, $disk.Location); continue }
            if ($disk.Path -and $drive.Path -ne $disk.Path) {
                $found += ('SCSI {0}:{1} holds {2}, planned {3}' -f $disk.Controller, $disk.Location, $drive.Path, $disk.Path)
            }
        }
    }
    $firmware = Get-VMFirmware -VM $vm
    if ([string]$firmware.SecureBoot -ne $PlanSecureBoot) {
        $found += ('Secure Boot {0}, planned {1}' -f $firmware.SecureBoot, $PlanSecureBoot)
    }
    if ($PlanSecureBootTemplate -and $firmware.SecureBootTemplate -ne $PlanSecureBootTemplate) {
        $found += ('Secure Boot template {0}, planned {1}' -f $firmware.SecureBootTemplate, $PlanSecureBootTemplate)
    }
    return $found
}
