# --- Helpers (the same in every runbook; this VM's own steps follow below) ----------------

function Write-Line {
    param([string]$Text)
    Write-Host $Text
}

function Invoke-Step {
    # Runs one step: skip it when its check says it is done, show it without -Execute,
    # run it with -Execute. A read-only step (-ReadOnly) also runs in a preview.
    param(
        [string]$Number,
        [string]$Title,
        [scriptblock]$Done,
        [scriptblock]$Action,
        [switch]$ReadOnly
    )
    Write-Line ''
    Write-Line ('[{0}] {1}' -f $Number, $Title)
    if ($null -ne $Done -and (& $Done)) {
        Write-Line '    done already: skipped'
        return
    }
    if (-not $Execute -and -not $ReadOnly) {
        Write-Line '    would run:'
        foreach ($line in ($Action.ToString() -split "`n")) {
            if ($line.Trim()) { Write-Line ('      ' + $line.Trim()) }
        }
        return
    }
    & $Action
    Write-Line '    done'
}

function Write-Manual {
    param([string]$Number, [string]$Text)
    Write-Line ''
    Write-Line ('[{0}] MANUAL: {1}' -f $Number, $Text)
}
