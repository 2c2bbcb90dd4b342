"""The pre-application spreadsheets (首贷预申请名单导入, notice 三(六)).

Reading an uploaded list goes through the one import path, loanportal.imports (checks before parsing,
python-calamine); see services.preapplications.pre_application_import. The template and the error report
are written by the one export writer (loanportal.exports): formulas from user data stay text.
"""

from loanportal.exports.preapplications import error_report_workbook, template_workbook

__all__ = ["error_report_workbook", "template_workbook"]
