#Requires -Version 4.0
<#
.SYNOPSIS
    Read-only Hyper-V inventory for gen2-assess: what stands between each
    Generation 1 VM and Generation 2.

.DESCRIPTION
    Reads, and never changes, the following on the Hyper-V host it runs on:
      - the host: Win32_OperatingSystem, Win32_ComputerSystem, the PowerShell version,
        Get-VMHostSupportedVersion (WS2016+), the failover cluster with its nodes
        (Get-Cluster / Get-ClusterNode) when the cluster service runs here, and whether a
        vTPM key protector can be made here: a Host Guardian Service guardian
        (Get-HgsGuardian) or a guarded host (Get-HgsClientConfiguration);
      - every VM (Get-VM): what a faithful rebuild needs - processor (Get-VMProcessor),
        memory (Get-VMMemory), automatic start/stop actions, checkpoint type, smart paging
        and configuration paths, notes; its hard disks with controller slot and storage QoS
        (Get-VMHardDiskDrive, Get-VHD for each virtual disk; pass-through disks are not
        opened), BIOS startup order (Gen 1) or firmware Secure Boot settings (Gen 2),
        network adapters with their port settings and VLAN (Get-VMNetworkAdapterVlan),
        floppy drive, COM ports, DVD drives, RemoteFX 3D adapters, checkpoints, vTPM
        (Get-VMSecurity, WS2016+), replication state and settings (Get-VMReplication),
        integration services, and for clustered VMs the cluster role with its preferred
        owners (Get-ClusterGroup / Get-ClusterOwnerNode);
      - the guest OS facts that running VMs publish over KVP (Msvm_KvpExchangeComponent
        in root\virtualization\v2).

    The script is read-only: it only calls Get-* cmdlets and CIM queries, changes no VM,
    disk, host or cluster setting, and starts or stops nothing. The one file it writes is
    its own output. Every query is guarded: a failure becomes an entry in the "errors" list
    of the record it belongs to and the collection goes on.

    Output: JSON Lines (UTF-8 without BOM, LF line ends), one compact record per line:
    one "host" record (record schema 2), one "vm" record per VM, and a closing "end"
    record. A file without the "end" record was cut short.

    Needs: membership in the local Administrators or the "Hyper-V Administrators" group,
    and the Hyper-V PowerShell module (installed with the Hyper-V role). Written for
    Windows PowerShell 5.1; it avoids 5.x-only features so the stock 4.0 of Windows
    Server 2012 R2 can run it as well.

.PARAMETER OutputPath
    A folder (the file is named <COMPUTERNAME>-gen2-inventory.jsonl) or a file path.
    Default: the folder the script is in.

.PARAMETER PassThru
    Write the records to the output stream, one JSON string per record, instead of a file.
    This is how "assess scan" runs the script over PowerShell Remoting.

.PARAMETER VMName
    Only these VMs (wildcards allowed). Default: every VM on the host.

.EXAMPLE
    powershell.exe -ExecutionPolicy Bypass -File .\gen2-inventory.ps1
    powershell.exe -ExecutionPolicy Bypass -File .\gen2-inventory.ps1 -OutputPath D:\out

    Run it on every Hyper-V host (each cluster node), collect the .jsonl files and import
    them with:  assess run HOST1-gen2-inventory.jsonl HOST2-gen2-inventory.jsonl
#>
[CmdletBinding()]
param(
    [string]$OutputPath,
    [switch]$PassThru,
    [string[]]$VMName
)

# Scoped to this script: property-name typos become recorded errors, not silent nulls.
Set-StrictMode -Version 2.0

# ---------------------------------------------------------------------------
# Small value helpers
# ---------------------------------------------------------------------------

function ConvertTo-StringOrNull {
    # [string]$null is '' in PowerShell; a missing value must stay null in the JSON.
    param($Value)
    if ($null -eq $Value) { return $null }
    return [string]$Value
}

function ConvertTo-IsoDate {
    param($Value)
    if ($null -eq $Value) { return $null }
    if ($Value -is [datetime]) { return $Value.ToString('o') }
    return [string]$Value
}

function Get-OptionalProperty {
    # Properties that older hosts lack (e.g. SecureBootTemplate before WS2016) read as null
    # instead of failing under strict mode.
    param($InputObject, [string]$Name)
    if ($null -eq $InputObject) { return $null }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($null -eq $property) { return $null }
    return $property.Value
}

function ConvertTo-StringList {
    # Enum or string values as a JSON array of strings; null members are dropped.
    param($Values)
    $list = @(foreach ($value in $Values) {
            if ($null -ne $value) { [string]$value }
        })
    return , $list
}

function ConvertTo-ValueList {
    # Numbers (or any values) as a JSON array; null members are dropped, null is [].
    param($Values)
    $list = @(foreach ($value in $Values) {
            if ($null -ne $value) { $value }
        })
    return , $list
}

function ConvertTo-ErrorEntry {
    param([string]$What, $Problem, [string]$Subject)
    if ($Problem -is [System.Management.Automation.ErrorRecord]) {
        $message = [string]$Problem.Exception.Message
    }
    else {
        $message = [string]$Problem
    }
    if ($Subject) { $message = '{0}: {1}' -f $Subject, $message }
    return [ordered]@{
        what    = $What
        message = $message
    }
}

function ConvertTo-RecordLine {
    # -InputObject keeps one-element arrays as arrays; -Compress makes one line per record.
    param($Record)
    return (ConvertTo-Json -InputObject $Record -Depth 6 -Compress)
}

function Test-IsPassThroughDisk {
    # A virtual disk reports no DiskNumber (null, empty, or UInt32.MaxValue on some hosts).
    param($DiskNumber)
    if ($null -eq $DiskNumber) { return $false }
    $text = [string]$DiskNumber
    return ($text -ne '' -and $text -ne '4294967295')
}

function Test-VmNameSelected {
    param([string]$Name, [string[]]$Patterns)
    if (-not $Patterns) { return $true }
    foreach ($pattern in $Patterns) {
        if ($Name -like $pattern) { return $true }
    }
    return $false
}

# ---------------------------------------------------------------------------
# Host
# ---------------------------------------------------------------------------

function Get-SupportedVmVersionList {
    # Get-VMHostSupportedVersion exists from WS2016 on; on WS2012 R2 the answer is null
    # (the host supports configuration version 5.0 only).
    param([System.Collections.ArrayList]$Errors)
    if (-not (Get-Command -Name 'Get-VMHostSupportedVersion' -ErrorAction SilentlyContinue)) {
        return $null
    }
    try {
        $supported = @(Get-VMHostSupportedVersion -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMHostSupportedVersion' -Problem $_))
        return $null
    }
    $versions = @(foreach ($entry in $supported) { [string]$entry.Version })
    return , $versions
}

function Get-ClusterFacts {
    # A host that is not a cluster node has no running cluster service: null, no error.
    param([System.Collections.ArrayList]$Errors)
    try {
        $service = Get-Service -Name 'ClusSvc' -ErrorAction SilentlyContinue
        if ($null -eq $service -or [string]$service.Status -ne 'Running') { return $null }
        if (-not (Get-Command -Name 'Get-Cluster' -ErrorAction SilentlyContinue)) {
            [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-Cluster' -Problem 'the cluster service runs but the FailoverClusters PowerShell module is not installed'))
            return $null
        }
        $cluster = Get-Cluster -ErrorAction Stop
        $clusterNodes = @(Get-ClusterNode -InputObject $cluster -ErrorAction Stop | Sort-Object -Property 'Name')
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-Cluster' -Problem $_))
        return $null
    }
    $nodes = @(foreach ($node in $clusterNodes) {
            [ordered]@{
                name  = [string]$node.Name
                state = [string]$node.State
            }
        })
    return [ordered]@{
        name  = [string]$cluster.Name
        nodes = [object[]]$nodes
    }
}

function Get-KeyProtectorFacts {
    # A vTPM needs a key protector: in local mode from a Host Guardian Service guardian on
    # this host (usually "UntrustedGuardian"), or from an HGS fabric when the host is guarded.
    # Without the HgsClient cmdlets (WS2012 R2 and older) no VM here can have a vTPM: not
    # available, no error.
    param([System.Collections.ArrayList]$Errors)
    if (-not (Get-Command -Name 'Get-HgsGuardian' -ErrorAction SilentlyContinue)) {
        return [ordered]@{
            available   = $false
            guardians   = [object[]]@()
            mode        = $null
            hostGuarded = $false
        }
    }
    try {
        $guardians = @(Get-HgsGuardian -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-HgsGuardian' -Problem $_))
        return $null
    }
    $mode = $null
    $guarded = $null
    if (Get-Command -Name 'Get-HgsClientConfiguration' -ErrorAction SilentlyContinue) {
        try {
            $configuration = Get-HgsClientConfiguration -ErrorAction Stop
            $mode = ConvertTo-StringOrNull (Get-OptionalProperty $configuration 'Mode')
            $guarded = Get-OptionalProperty $configuration 'IsHostGuarded'
        }
        catch {
            [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-HgsClientConfiguration' -Problem $_))
        }
    }
    $names = ConvertTo-StringList @(foreach ($guardian in $guardians) { Get-OptionalProperty $guardian 'Name' })
    return [ordered]@{
        available   = ($guardians.Count -gt 0 -or $guarded -eq $true)
        guardians   = [object[]]$names
        mode        = $mode
        hostGuarded = $guarded
    }
}

function Get-HostRecord {
    $errors = New-Object System.Collections.ArrayList
    $record = [ordered]@{
        kind                = 'host'
        schema              = 2
        computerName        = [string]$env:COMPUTERNAME
        fqdn                = $null
        osCaption           = $null
        osVersion           = $null
        osBuild             = $null
        psVersion           = [string]$PSVersionTable.PSVersion
        supportedVmVersions = $null
        cluster             = $null
        keyProtector        = $null
        collectedAt         = (Get-Date).ToString('o')
        errors              = $null
    }
    try {
        $os = Get-CimInstance -ClassName 'Win32_OperatingSystem' -ErrorAction Stop
        $record['osCaption'] = ConvertTo-StringOrNull $os.Caption
        $record['osVersion'] = ConvertTo-StringOrNull $os.Version
        $record['osBuild'] = ConvertTo-StringOrNull $os.BuildNumber
    }
    catch {
        [void]$errors.Add((ConvertTo-ErrorEntry -What 'Win32_OperatingSystem' -Problem $_))
    }
    try {
        $computer = Get-CimInstance -ClassName 'Win32_ComputerSystem' -ErrorAction Stop
        $fqdn = [string]$computer.DNSHostName
        if ($computer.PartOfDomain -and $computer.Domain) {
            $fqdn = '{0}.{1}' -f $fqdn, $computer.Domain
        }
        $record['fqdn'] = $fqdn
    }
    catch {
        [void]$errors.Add((ConvertTo-ErrorEntry -What 'Win32_ComputerSystem' -Problem $_))
    }
    $record['supportedVmVersions'] = Get-SupportedVmVersionList -Errors $errors
    $record['cluster'] = Get-ClusterFacts -Errors $errors
    $record['keyProtector'] = Get-KeyProtectorFacts -Errors $errors
    $record['errors'] = [object[]]$errors.ToArray()
    return $record
}

# ---------------------------------------------------------------------------
# Guest facts over KVP
# ---------------------------------------------------------------------------

function ConvertFrom-KvpXml {
    # Each item is a CIM-XML INSTANCE of Msvm_KvpExchangeDataItem; read it by property name.
    param([string[]]$Items)
    $facts = [ordered]@{}
    $unreadable = 0
    foreach ($item in $Items) {
        if ([string]::IsNullOrEmpty($item)) { continue }
        try {
            $document = [xml]$item
            $name = $null
            $data = $null
            foreach ($property in $document.SelectNodes('/INSTANCE/PROPERTY')) {
                $valueNode = $property.SelectSingleNode('VALUE')
                if ($null -eq $valueNode) { continue }
                $propertyName = $property.GetAttribute('NAME')
                if ($propertyName -eq 'Name') { $name = $valueNode.InnerText }
                elseif ($propertyName -eq 'Data') { $data = $valueNode.InnerText }
            }
            if ($name) {
                if ($null -ne $data) { $data = $data.TrimEnd("`r`n`0".ToCharArray()) }
                $facts[$name.Trim()] = $data
            }
        }
        catch {
            $unreadable++
        }
    }
    return @{
        facts      = $facts
        unreadable = $unreadable
    }
}

function Get-KvpGuestFacts {
    # One query for the whole host; the result maps the VM id (upper case) to its facts.
    $byVmId = @{}
    $components = @(Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName 'Msvm_KvpExchangeComponent' -ErrorAction Stop)
    foreach ($component in $components) {
        $vmId = ([string]$component.SystemName).ToUpperInvariant()
        $byVmId[$vmId] = ConvertFrom-KvpXml -Items $component.GuestIntrinsicExchangeItems
    }
    return $byVmId
}

# ---------------------------------------------------------------------------
# One VM, section by section. A failed section is null (unknown, never "none")
# and adds an entry to the VM's errors.
# ---------------------------------------------------------------------------

function Get-VhdFacts {
    param([string]$Path, [System.Collections.ArrayList]$Errors)
    try {
        $vhd = Get-VHD -Path $Path -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VHD' -Problem $_ -Subject $Path))
        return $null
    }
    return [ordered]@{
        format     = [string]$vhd.VhdFormat
        type       = [string]$vhd.VhdType
        size       = $vhd.Size
        fileSize   = $vhd.FileSize
        parentPath = ConvertTo-StringOrNull $vhd.ParentPath
    }
}

function Get-VmDiskList {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $drives = @(Get-VMHardDiskDrive -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMHardDiskDrive' -Problem $_))
        return $null
    }
    $disks = @(foreach ($drive in $drives) {
            $diskNumber = Get-OptionalProperty $drive 'DiskNumber'
            $path = ConvertTo-StringOrNull $drive.Path
            $vhd = $null
            if (-not (Test-IsPassThroughDisk $diskNumber) -and $path) {
                $vhd = Get-VhdFacts -Path $path -Errors $Errors
            }
            [ordered]@{
                controllerType     = [string]$drive.ControllerType
                controllerNumber   = $drive.ControllerNumber
                controllerLocation = $drive.ControllerLocation
                path               = $path
                diskNumber         = $diskNumber
                shared             = Get-OptionalProperty $drive 'SupportPersistentReservations'
                minimumIops        = Get-OptionalProperty $drive 'MinimumIOPS'
                maximumIops        = Get-OptionalProperty $drive 'MaximumIOPS'
                vhd                = $vhd
            }
        })
    return , $disks
}

function Get-VmBiosFacts {
    # Generation 1 only: Get-VMBios throws on a Generation 2 VM.
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $bios = Get-VMBios -VM $Vm -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMBios' -Problem $_))
        return $null
    }
    return [ordered]@{
        startupOrder = ConvertTo-StringList $bios.StartupOrder
    }
}

function Get-VmFirmwareFacts {
    # Generation 2 only.
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $firmware = Get-VMFirmware -VM $Vm -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMFirmware' -Problem $_))
        return $null
    }
    return [ordered]@{
        secureBoot = ConvertTo-StringOrNull $firmware.SecureBoot
        template   = ConvertTo-StringOrNull (Get-OptionalProperty $firmware 'SecureBootTemplate')
    }
}

function Get-VmNicList {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $adapters = @(Get-VMNetworkAdapter -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMNetworkAdapter' -Problem $_))
        return $null
    }
    $nics = @(foreach ($adapter in $adapters) {
            [ordered]@{
                name          = ConvertTo-StringOrNull $adapter.Name
                isLegacy      = [bool]$adapter.IsLegacy
                switchName    = ConvertTo-StringOrNull $adapter.SwitchName
                mac           = ConvertTo-StringOrNull $adapter.MacAddress
                id            = ConvertTo-StringOrNull (Get-OptionalProperty $adapter 'Id')
                dynamicMac    = Get-OptionalProperty $adapter 'DynamicMacAddressEnabled'
                deviceNaming  = ConvertTo-StringOrNull (Get-OptionalProperty $adapter 'DeviceNaming')
                dhcpGuard     = ConvertTo-StringOrNull (Get-OptionalProperty $adapter 'DhcpGuard')
                routerGuard   = ConvertTo-StringOrNull (Get-OptionalProperty $adapter 'RouterGuard')
                macSpoofing   = ConvertTo-StringOrNull (Get-OptionalProperty $adapter 'MacAddressSpoofing')
                portMirroring = ConvertTo-StringOrNull (Get-OptionalProperty $adapter 'PortMirroringMode')
                bandwidth     = Get-NicBandwidthFacts -Adapter $adapter
                vlan          = Get-NicVlanFacts -Adapter $adapter -Errors $Errors
            }
        })
    return , $nics
}

function Get-NicBandwidthFacts {
    # BandwidthSetting is null until bandwidth management was configured on the adapter.
    param($Adapter)
    $setting = Get-OptionalProperty $Adapter 'BandwidthSetting'
    if ($null -eq $setting) { return $null }
    return [ordered]@{
        minimumAbsolute = Get-OptionalProperty $setting 'MinimumBandwidthAbsolute'
        minimumWeight   = Get-OptionalProperty $setting 'MinimumBandwidthWeight'
        maximum         = Get-OptionalProperty $setting 'MaximumBandwidth'
    }
}

function Get-NicVlanFacts {
    # Legacy adapters report VLAN settings too; a failure costs this adapter's VLAN only.
    param($Adapter, [System.Collections.ArrayList]$Errors)
    try {
        $vlan = Get-VMNetworkAdapterVlan -VMNetworkAdapter $Adapter -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMNetworkAdapterVlan' -Problem $_ -Subject ([string]$Adapter.Name)))
        return $null
    }
    return [ordered]@{
        mode                = ConvertTo-StringOrNull (Get-OptionalProperty $vlan 'OperationMode')
        accessVlanId        = Get-OptionalProperty $vlan 'AccessVlanId'
        nativeVlanId        = Get-OptionalProperty $vlan 'NativeVlanId'
        allowedVlanIdList   = ConvertTo-ValueList (Get-OptionalProperty $vlan 'AllowedVlanIdList')
        privateVlanMode     = ConvertTo-StringOrNull (Get-OptionalProperty $vlan 'PrivateVlanMode')
        primaryVlanId       = Get-OptionalProperty $vlan 'PrimaryVlanId'
        secondaryVlanId     = Get-OptionalProperty $vlan 'SecondaryVlanId'
        secondaryVlanIdList = ConvertTo-ValueList (Get-OptionalProperty $vlan 'SecondaryVlanIdList')
    }
}

function Get-VmFloppyList {
    # Generation 1 only; a Generation 2 VM has no floppy controller at all (empty list).
    param($Vm, [int]$Generation, [System.Collections.ArrayList]$Errors)
    if ($Generation -ne 1) { return , @() }
    try {
        $drives = @(Get-VMFloppyDiskDrive -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMFloppyDiskDrive' -Problem $_))
        return $null
    }
    $floppy = @(foreach ($drive in $drives) {
            [ordered]@{
                path = ConvertTo-StringOrNull $drive.Path
            }
        })
    return , $floppy
}

function Get-VmComPortList {
    # Every COM port the VM has, configured or not; an unconfigured one has an empty path.
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $ports = @(Get-VMComPort -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMComPort' -Problem $_))
        return $null
    }
    $comPorts = @(foreach ($port in $ports) {
            [ordered]@{
                name = ConvertTo-StringOrNull $port.Name
                path = ConvertTo-StringOrNull $port.Path
            }
        })
    return , $comPorts
}

function Get-VmDvdList {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $drives = @(Get-VMDvdDrive -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMDvdDrive' -Problem $_))
        return $null
    }
    $dvd = @(foreach ($drive in $drives) {
            [ordered]@{
                controllerType     = [string]$drive.ControllerType
                controllerNumber   = $drive.ControllerNumber
                controllerLocation = $drive.ControllerLocation
                path               = ConvertTo-StringOrNull $drive.Path
                mediaType          = ConvertTo-StringOrNull (Get-OptionalProperty $drive 'DvdMediaType')
            }
        })
    return , $dvd
}

function Get-VmRemoteFx3dCount {
    # The cmdlet is gone from hosts that cannot run RemoteFX (WS2022 and later): no VM there
    # can have the adapter, so the count is 0, not unknown.
    param($Vm, [bool]$CmdletPresent, [System.Collections.ArrayList]$Errors)
    if (-not $CmdletPresent) { return 0 }
    try {
        $adapters = @(Get-VMRemoteFx3dVideoAdapter -VM $Vm -ErrorAction Stop -WarningAction SilentlyContinue)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMRemoteFx3dVideoAdapter' -Problem $_))
        return $null
    }
    return $adapters.Count
}

function Get-VmSnapshotFacts {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $snapshots = @(Get-VMSnapshot -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMSnapshot' -Problem $_))
        return $null
    }
    $typeNames = ConvertTo-StringList @(foreach ($snapshot in $snapshots) { $snapshot.SnapshotType })
    return [ordered]@{
        count = $snapshots.Count
        types = [object[]]@($typeNames | Sort-Object -Unique)
    }
}

function Get-VmIntegrationServiceList {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $services = @(Get-VMIntegrationService -VM $Vm -ErrorAction Stop)
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMIntegrationService' -Problem $_))
        return $null
    }
    $list = @(foreach ($service in $services) {
            [ordered]@{
                name    = ConvertTo-StringOrNull $service.Name
                enabled = [bool]$service.Enabled
                status  = ConvertTo-StringOrNull (Get-OptionalProperty $service 'PrimaryStatusDescription')
            }
        })
    return , $list
}

function Get-VmProcessorFacts {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $processor = Get-VMProcessor -VM $Vm -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMProcessor' -Problem $_))
        return $null
    }
    return [ordered]@{
        count                     = Get-OptionalProperty $processor 'Count'
        compatibilityForMigration = Get-OptionalProperty $processor 'CompatibilityForMigrationEnabled'
        reserve                   = Get-OptionalProperty $processor 'Reserve'
        maximum                   = Get-OptionalProperty $processor 'Maximum'
        relativeWeight            = Get-OptionalProperty $processor 'RelativeWeight'
    }
}

function Get-VmMemoryFacts {
    param($Vm, [System.Collections.ArrayList]$Errors)
    try {
        $memory = Get-VMMemory -VM $Vm -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMMemory' -Problem $_))
        return $null
    }
    return [ordered]@{
        startup              = Get-OptionalProperty $memory 'Startup'
        dynamicMemoryEnabled = Get-OptionalProperty $memory 'DynamicMemoryEnabled'
        minimum              = Get-OptionalProperty $memory 'Minimum'
        maximum              = Get-OptionalProperty $memory 'Maximum'
        buffer               = Get-OptionalProperty $memory 'Buffer'
        priority             = Get-OptionalProperty $memory 'Priority'
    }
}

function Get-VmSecurityFacts {
    # vTPM: Generation 2 on WS2016 and later only. A Generation 1 VM, or a host without
    # Get-VMSecurity, cannot have one: false, not unknown (like RemoteFX above).
    param($Vm, [int]$Generation, [bool]$CmdletPresent, [System.Collections.ArrayList]$Errors)
    if ($Generation -ne 2 -or -not $CmdletPresent) {
        return [ordered]@{
            tpmEnabled = $false
            shielded   = $false
        }
    }
    try {
        $security = Get-VMSecurity -VM $Vm -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMSecurity' -Problem $_))
        return $null
    }
    return [ordered]@{
        tpmEnabled = Get-OptionalProperty $security 'TpmEnabled'
        shielded   = Get-OptionalProperty $security 'Shielded'
    }
}

function Get-VmReplicationFacts {
    # Get-VMReplication fails on a VM without Replica: only asked when Replica is set up.
    param($Vm, [System.Collections.ArrayList]$Errors)
    $mode = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'ReplicationMode')
    if ($null -eq $mode -or $mode -eq 'None') { return $null }
    try {
        $replication = Get-VMReplication -VM $Vm -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-VMReplication' -Problem $_))
        return $null
    }
    return [ordered]@{
        mode          = ConvertTo-StringOrNull (Get-OptionalProperty $replication 'Mode')
        primaryServer = ConvertTo-StringOrNull (Get-OptionalProperty $replication 'PrimaryServer')
        replicaServer = ConvertTo-StringOrNull (Get-OptionalProperty $replication 'ReplicaServer')
        frequencySec  = Get-OptionalProperty $replication 'FrequencySec'
    }
}

function Get-VmClusterGroupFacts {
    # Only for clustered VMs, and only where the FailoverClusters module is installed.
    param($Vm, [bool]$CmdletPresent, [System.Collections.ArrayList]$Errors)
    if (-not (Get-OptionalProperty $Vm 'IsClustered')) { return $null }
    if (-not $CmdletPresent) {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-ClusterGroup' -Problem 'the VM is clustered but the FailoverClusters PowerShell module is not installed'))
        return $null
    }
    try {
        $group = Get-ClusterGroup -VMId $Vm.Id -ErrorAction Stop
        if ($null -eq $group) { throw 'no cluster role holds this VM' }
        $owners = Get-ClusterOwnerNode -Group ([string]$group.Name) -ErrorAction Stop
    }
    catch {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Get-ClusterGroup' -Problem $_))
        return $null
    }
    $names = ConvertTo-StringList @(foreach ($node in @(Get-OptionalProperty $owners 'OwnerNodes')) {
            Get-OptionalProperty $node 'Name'
        })
    return [ordered]@{
        name            = [string]$group.Name
        preferredOwners = [object[]]$names
    }
}

function Get-VmGuestFacts {
    # Only a running VM reports KVP data; for any other VM the "guest" key stays absent.
    param([string]$VmId, $Context, [System.Collections.ArrayList]$Errors)
    if ($null -ne $Context.KvpProblem) {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Msvm_KvpExchangeComponent' -Problem $Context.KvpProblem))
        return $null
    }
    $key = $VmId.ToUpperInvariant()
    if (-not $Context.Kvp.ContainsKey($key)) {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Msvm_KvpExchangeComponent' -Problem 'no KVP exchange component found for this running VM'))
        return $null
    }
    $entry = $Context.Kvp[$key]
    if ($entry.unreadable -gt 0) {
        [void]$Errors.Add((ConvertTo-ErrorEntry -What 'Msvm_KvpExchangeComponent' -Problem ('{0} KVP item(s) could not be read as CIM-XML' -f $entry.unreadable)))
    }
    return $entry.facts
}

function Get-VmRecord {
    param($Vm, $Context)
    $errors = New-Object System.Collections.ArrayList
    # WS2012 hosts have no Generation property: every VM there is Generation 1.
    $generation = 1
    $generationValue = Get-OptionalProperty $Vm 'Generation'
    if ($null -ne $generationValue) { $generation = [int]$generationValue }
    $state = [string]$Vm.State
    $vmId = [string]$Vm.Id
    $record = [ordered]@{
        kind                  = 'vm'
        name                  = [string]$Vm.Name
        id                    = $vmId
        generation            = $generation
        version               = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'Version')
        state                 = $state
        processorCount        = $Vm.ProcessorCount
        memoryStartup         = $Vm.MemoryStartup
        dynamicMemory         = [bool]$Vm.DynamicMemoryEnabled
        notes                 = ConvertTo-StringOrNull $Vm.Notes
        isClustered           = Get-OptionalProperty $Vm 'IsClustered'
        replicationState      = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'ReplicationState')
        replicationMode       = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'ReplicationMode')
        creationTime          = ConvertTo-IsoDate (Get-OptionalProperty $Vm 'CreationTime')
        automaticStartAction  = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'AutomaticStartAction')
        automaticStartDelay   = Get-OptionalProperty $Vm 'AutomaticStartDelay'
        automaticStopAction   = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'AutomaticStopAction')
        checkpointType        = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'CheckpointType')
        smartPagingFilePath   = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'SmartPagingFilePath')
        configurationLocation = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'ConfigurationLocation')
        path                  = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'Path')
    }
    $record['processor'] = Get-VmProcessorFacts -Vm $Vm -Errors $errors
    $record['memory'] = Get-VmMemoryFacts -Vm $Vm -Errors $errors
    $record['disks'] = Get-VmDiskList -Vm $Vm -Errors $errors
    if ($generation -eq 1) {
        $record['bios'] = Get-VmBiosFacts -Vm $Vm -Errors $errors
    }
    else {
        $record['firmware'] = Get-VmFirmwareFacts -Vm $Vm -Errors $errors
    }
    $record['nics'] = Get-VmNicList -Vm $Vm -Errors $errors
    $record['floppy'] = Get-VmFloppyList -Vm $Vm -Generation $generation -Errors $errors
    $record['comPorts'] = Get-VmComPortList -Vm $Vm -Errors $errors
    $record['dvd'] = Get-VmDvdList -Vm $Vm -Errors $errors
    $record['remoteFx3d'] = Get-VmRemoteFx3dCount -Vm $Vm -CmdletPresent $Context.HasRemoteFx3d -Errors $errors
    $record['snapshots'] = Get-VmSnapshotFacts -Vm $Vm -Errors $errors
    $record['integrationServices'] = Get-VmIntegrationServiceList -Vm $Vm -Errors $errors
    $record['security'] = Get-VmSecurityFacts -Vm $Vm -Generation $generation -CmdletPresent $Context.HasVmSecurity -Errors $errors
    $record['replication'] = Get-VmReplicationFacts -Vm $Vm -Errors $errors
    $record['clusterGroup'] = Get-VmClusterGroupFacts -Vm $Vm -CmdletPresent $Context.HasClusterGroup -Errors $errors
    if ($state -like 'Running*') {
        $guest = Get-VmGuestFacts -VmId $vmId -Context $Context -Errors $errors
        if ($null -ne $guest) { $record['guest'] = $guest }
    }
    $record['errors'] = [object[]]$errors.ToArray()
    return $record
}

function ConvertTo-FailedVmRecord {
    # Used when a VM record cannot be built or serialised at all: name, id and the reason.
    param($Vm, $Problem)
    return [ordered]@{
        kind   = 'vm'
        name   = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'Name')
        id     = ConvertTo-StringOrNull (Get-OptionalProperty $Vm 'Id')
        errors = [object[]]@(ConvertTo-ErrorEntry -What 'vm-record' -Problem $Problem)
    }
}

# ---------------------------------------------------------------------------
# The whole host: host record, VM records, end record (one JSON string each)
# ---------------------------------------------------------------------------

function Get-InventoryRecordLines {
    param([string[]]$VMName, [hashtable]$Summary, [switch]$ShowProgress)
    $endErrors = New-Object System.Collections.ArrayList

    try {
        $hostLine = ConvertTo-RecordLine (Get-HostRecord)
    }
    catch {
        $hostLine = ConvertTo-RecordLine ([ordered]@{
                kind         = 'host'
                schema       = 2
                computerName = [string]$env:COMPUTERNAME
                collectedAt  = (Get-Date).ToString('o')
                errors       = [object[]]@(ConvertTo-ErrorEntry -What 'host-record' -Problem $_)
            })
    }
    $hostLine

    $vms = @()
    try {
        $allVms = @(Get-VM -ErrorAction Stop)
        $vms = @($allVms | Where-Object { Test-VmNameSelected -Name $_.Name -Patterns $VMName } | Sort-Object -Property 'Name')
        foreach ($pattern in $VMName) {
            if (-not @($allVms | Where-Object { $_.Name -like $pattern }).Count) {
                [void]$endErrors.Add((ConvertTo-ErrorEntry -What 'VMName' -Problem ("no VM matches '{0}'" -f $pattern)))
            }
        }
    }
    catch {
        [void]$endErrors.Add((ConvertTo-ErrorEntry -What 'Get-VM' -Problem $_))
    }

    $context = @{
        Kvp             = @{}
        KvpProblem      = $null
        HasRemoteFx3d   = [bool](Get-Command -Name 'Get-VMRemoteFx3dVideoAdapter' -ErrorAction SilentlyContinue)
        HasVmSecurity   = [bool](Get-Command -Name 'Get-VMSecurity' -ErrorAction SilentlyContinue)
        HasClusterGroup = [bool](Get-Command -Name 'Get-ClusterGroup' -ErrorAction SilentlyContinue)
    }
    if (@($vms | Where-Object { [string]$_.State -like 'Running*' }).Count -gt 0) {
        try {
            $context.Kvp = Get-KvpGuestFacts
        }
        catch {
            $context.KvpProblem = 'guest facts unavailable: ' + $_.Exception.Message
            [void]$endErrors.Add((ConvertTo-ErrorEntry -What 'Msvm_KvpExchangeComponent' -Problem $_))
        }
    }

    $vmCount = 0
    $vmsWithErrors = 0
    foreach ($vm in $vms) {
        if ($ShowProgress) {
            Write-Progress -Activity 'gen2-inventory' -Status ([string]$vm.Name) -PercentComplete ([int](100 * $vmCount / $vms.Count))
        }
        try {
            $record = Get-VmRecord -Vm $vm -Context $context
            $line = ConvertTo-RecordLine $record
            if ($record['errors'].Count -gt 0) { $vmsWithErrors++ }
        }
        catch {
            $line = ConvertTo-RecordLine (ConvertTo-FailedVmRecord -Vm $vm -Problem $_)
            $vmsWithErrors++
        }
        $vmCount++
        $line
    }
    if ($ShowProgress) { Write-Progress -Activity 'gen2-inventory' -Completed }

    if ($null -ne $Summary) {
        $Summary['vmCount'] = $vmCount
        $Summary['vmsWithErrors'] = $vmsWithErrors
        $Summary['hostErrors'] = $endErrors.Count
    }
    ConvertTo-RecordLine ([ordered]@{
            kind    = 'end'
            vmCount = $vmCount
            errors  = [object[]]$endErrors.ToArray()
        })
}

function Resolve-OutputFile {
    # -OutputPath may name a folder or a file; relative paths are taken from the
    # PowerShell location (which .NET's current directory does not follow).
    param([string]$OutputPath, [string]$ScriptFolder)
    $fileName = '{0}-gen2-inventory.jsonl' -f $env:COMPUTERNAME
    if (-not $OutputPath) {
        $folder = $ScriptFolder
        if (-not $folder) { $folder = (Get-Location).ProviderPath }
        return (Join-Path -Path $folder -ChildPath $fileName)
    }
    $fullPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
    if (Test-Path -LiteralPath $fullPath -PathType Container) {
        return (Join-Path -Path $fullPath -ChildPath $fileName)
    }
    $parent = Split-Path -Path $fullPath -Parent
    if ($parent -and -not (Test-Path -LiteralPath $parent -PathType Container)) {
        throw ('The output folder does not exist: {0}' -f $parent)
    }
    return $fullPath
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

# Windows PowerShell 5.1 ships type data for System.Array that makes ConvertTo-Json write
# arrays as {"value":[...],"Count":n}. Removing it affects this session only.
Remove-TypeData -TypeName 'System.Array' -ErrorAction SilentlyContinue

if ($PassThru) {
    Get-InventoryRecordLines -VMName $VMName
}
else {
    $scriptFolder = $null
    try { $scriptFolder = $PSScriptRoot } catch { $scriptFolder = $null }
    $outputFile = Resolve-OutputFile -OutputPath $OutputPath -ScriptFolder $scriptFolder
    $summary = @{}
    # UTF-8 without a byte order mark; records end with LF, not CRLF.
    $encoding = New-Object System.Text.UTF8Encoding $false
    $writer = New-Object System.IO.StreamWriter -ArgumentList @($outputFile, $false, $encoding)
    try {
        Get-InventoryRecordLines -VMName $VMName -Summary $summary -ShowProgress | ForEach-Object {
            $writer.Write($_)
            $writer.Write("`n")
        }
    }
    finally {
        $writer.Dispose()
    }
    Write-Host ('gen2-inventory: {0} VM(s) on {1}, {2} with collection errors, {3} host-level error(s). Wrote {4}. Import it with: assess run "{4}"' -f $summary['vmCount'], $env:COMPUTERNAME, $summary['vmsWithErrors'], $summary['hostErrors'], $outputFile)
}
