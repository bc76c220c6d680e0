#!/usr/bin/env python3
# ruff: noqa: E501  (a table of translations)
"""Fill the English catalogue (locale/en/LC_MESSAGES/django.po) from the table below, then
compile it:  python manage.py makemessages -l en ... && python scripts/translate_en.py && \
python manage.py compilemessages -l en. Strings not in the table stay Chinese (the source)."""

import re
import sys
from pathlib import Path

EN = {
    "技能等级认证登记系统": "Skill-level certification registry",
    "证书查验": "Verify a certificate",
    "查验证书": "Verify a certificate",
    "查验": "Verify",
    "我的技能档案": "My skills record",
    "查看我的档案": "Open my record",
    "评价批次": "Sessions",
    "退出": "Sign out",
    "登录": "Sign in",
    "切换": "Switch",
    "开通账号": "Activate account",
    "开通我的技能档案账号": "Activate my skills-record account",
    "开通": "Activate",
    "用户名": "Username",
    "密码": "Password",
    "用户名或密码不正确。": "Wrong username or password.",
    "持证劳动者首次使用？开通账号": "First time here with a certificate? Activate your account",
    "已取得证书的劳动者可用身份证号码和任一证书编号开通账号。": "Workers holding a certificate can activate an account with their ID number and any certificate number.",
    "输入姓名、身份证号码和证书编号，或扫描证书上的二维码。": "Enter the name, ID number and certificate number, or scan the QR code on the certificate.",
    "验签公钥": "Signature public key",
    "评价机构": "Assessment institution",
    "院校": "School",
    "姓名": "Name",
    "证件号码": "ID number",
    "身份证号码": "Resident ID number",
    "证书编号": "Certificate number",
    "职业（工种）": "Occupation",
    "等级": "Level",
    "发证日期": "Issue date",
    "电子签名": "Digital signature",
    "验证通过": "verified",
    "验证失败": "does not verify",
    "证书有效": "Certificate valid",
    "证书已于 %(day)s 撤销": "Certificate revoked on %(day)s",
    "未查询到符合条件的证书。请核对姓名、证件号码和证书编号。": "No matching certificate. Please check the name, ID number and certificate number.",
    "查验码格式不正确，请重新扫描证书上的二维码。": "Malformed verification code: scan the certificate's QR code again.",
    "查询过于频繁，请一分钟后再试。": "Too many look-ups: please try again in a minute.",
    "任一证书编号": "Any of your certificate numbers",
    "用户名（登录用，勿用身份证号）": "Username (not your ID number)",
    "证书": "Certificates",
    "已撤销": "Revoked",
    "有效": "Valid",
    "下载 PDF": "Download PDF",
    "下载电子凭证（JSON）": "Download verifiable credential (JSON)",
    "分享链接": "Share link",
    "已复制": "Copied",
    "复制分享链接": "Copy share link",
    "暂无证书。": "No certificates yet.",
    "在评申报": "Applications in progress",
    "暂无。": "None.",
    "培训记录": "Training",
    "培训项目": "Course",
    "培训机构": "Provider",
    "学时": "Hours",
    "日期": "Dates",
    "补贴（元）": "Subsidy (CNY)",
    "竞赛获奖": "Competition awards",
    "竞赛": "Competition",
    "赛项": "Event",
    "奖项": "Award",
    "技师聘任": "Appointments",
    "聘任等级": "Title",
    "聘任单位": "Employer",
    "聘期": "Term",
    "职业": "Occupation",
    "状态": "Status",
    "结果": "Result",
    "账号已开通。": "Account activated.",
    "录入成绩": "Enter scores",
    "返回批次": "Back to the session",
    "报名号": "Application no.",
    "专项考核": "Special assessment",
    "保存成绩": "Save scores",
    "导入成绩表": "Import a score sheet",
    "导入": "Import",
    "下载本批次成绩表": "Download this session's score sheet",
    "考核日期": "Assessment dates",
    "督导暂停发证": "held by supervision",
    "督导暂停": "held",
    "提交发证（锁定成绩并公示）": "Submit (lock results, start publicity)",
    "核发证书": "Issue certificates",
    "人员配备不足：": "Staffing short:",
    "导入考生名单": "Import a roster",
    "下载模板": "Download the template",
    "考生名单": "Candidates",
    "申报途径": "Pathway",
    "申报条件": "Condition met",
    "尚无考生。": "No candidates yet.",
    "尚未指派。": "Nobody assigned yet.",
    "考评与督导人员": "Assessors and supervisors",
    "批次": "Session",
    "职业（等级）": "Occupation (level)",
    "考生": "Candidates",
    "暂无评价批次。": "No sessions.",
    "评价类型": "Evaluation type",
    "考核地点": "Site",
    "公示截止": "Publicity ends",
    "发证进度": "Issuance progress",
    "发证批次": "Issuance batch",
    "张已核发": "issued",
    "失败": "failed",
    "未核发及原因": "Not issued, and why",
    "下载本批证书（PDF 压缩包）": "Download the batch's certificates (ZIP of PDFs)",
    "生成压缩包": "Build the ZIP",
    "下载压缩包": "Download the ZIP",
    "排队中": "queued",
    "发证中": "issuing",
    "已完成": "done",
    "毕业学年学生": "Graduating-year students",
    "学生人数": "Students",
    "有效证书": "Valid certificates",
    "人均证书数": "Certificates per student",
    "导入毕业学年学生名单": "Import the graduating cohort",
    "暂无可报名的评价批次。": "No session open for enrolment.",
    "证书数": "Certificates",
    "暂无学生。": "No students yet.",
    "申报": "Applications",
    "行号": "Row",
    "列": "Column",
    "原因": "Reason",
    "请选择要导入的 XLSX 或 CSV 文件。": "Choose an XLSX or CSV file to import.",
    "已导入 %(n)d 名考生。": "%(n)d candidates imported.",
    "已提交，成绩已锁定并进入公示。": "Submitted: results locked, publicity started.",
    "成绩已保存。": "Scores saved.",
    "已导入 %(n)d 条成绩。": "%(n)d scores imported.",
    "有 %(n)d 行未保存，请按提示修改后重新提交（本次未保存任何成绩）。": "%(n)d rows could not be saved; correct them and submit again (nothing was saved).",
    "尝试过于频繁，请稍后再试。": "Too many attempts: please try again later.",
    "只有指派到本批次的考评员可以录入成绩。": "Only assessors assigned to this session may enter scores.",
    "批次已提交，成绩已锁定；如需更正请联系机构管理员走更正流程。": "The session is submitted and its results locked; ask the institution admin for a correction.",
    "每科 0–100 分，最多一位小数；各科均达到 60 分为合格。结果由系统计算。": "Each part 0–100, one decimal at most; a candidate passes with 60 or more in every part. The result is computed.",
    "学徒工": "Apprentice",
    "五级/初级工": "Level 5 / Junior",
    "四级/中级工": "Level 4 / Intermediate",
    "三级/高级工": "Level 3 / Senior",
    "二级/技师": "Level 2 / Technician",
    "一级/高级技师": "Level 1 / Senior technician",
    "特级技师": "Principal technician",
    "首席技师": "Chief technician",
    "职业资格评价": "Vocational qualification",
    "职业技能等级认定": "Skill-level recognition",
    "专项职业能力考核": "Special ability assessment",
    "职业技能等级证书": "Skill-level certificate",
    "职业资格证书": "Vocational qualification certificate",
    "专项职业能力证书": "Special ability certificate",
    "理论知识": "Theory",
    "操作技能": "Practical",
    "综合评审": "Review",
    "合格": "Pass",
    "不合格": "Fail",
    "待评分": "Pending",
    "正常申报": "Normal",
    "破格晋升": "Exceptional promotion",
    "直接认定": "Direct recognition",
    "竞赛晋升": "Competition promotion",
    "院校团体申报": "School group",
    "待审批": "Awaiting approval",
    "已报名": "Enrolled",
    "审批未通过": "Rejected",
    "已撤回": "Withdrawn",
    "已计划": "Planned",
    "已提交发证": "Submitted",
    "已发证": "Issued",
    "已取消": "Cancelled",
}


def main(path: Path) -> None:
    out, block = [], []
    for line in path.read_text(encoding="utf-8").split("\n") + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            out.append(fill(block))
            block = []
        out.append("")
    path.write_text("\n".join(out).rstrip("\n") + "\n", encoding="utf-8")


def fill(block):
    text = "\n".join(block)
    match = re.search(r'^msgid "(.*)"\n((?:".*"\n)*)', text + "\n", re.M)
    if not match:
        return text
    msgid = (match.group(1) + "".join(re.findall(r'^"(.*)"$', match.group(2), re.M))).replace('\\"', '"')
    english = EN.get(msgid)
    if english is None:
        return text
    english = english.replace('"', '\\"')
    text = re.sub(r"^#, fuzzy\n", "", text, flags=re.M)
    if "msgid_plural" in text:
        text = re.sub(r'^msgstr\[0\] ".*"$', f'msgstr[0] "{english}"', text, flags=re.M)
        return re.sub(r'^msgstr\[1\] ".*"$', f'msgstr[1] "{english}"', text, flags=re.M)
    return re.sub(r'^msgstr ""(\n".*")*', f'msgstr "{english}"', text, flags=re.M)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "locale/en/LC_MESSAGES/django.po"))
